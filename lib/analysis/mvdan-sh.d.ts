// mvdan-sh ships no types; lib/analysis/bash-parser.ts describes the part it uses.
declare module 'mvdan-sh' {
  const sh: { syntax: unknown };
  export default sh;
}
