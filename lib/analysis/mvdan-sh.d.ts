// mvdan-sh ships no types; lib/shell-syntax.ts describes the part it uses.
declare module 'mvdan-sh' {
  const sh: { syntax: unknown };
  export default sh;
}
