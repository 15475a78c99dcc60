// What bash accepts as a variable name. One definition for every layer that reads or writes names.

export const IDENTIFIER_SOURCE = '[A-Za-z_][A-Za-z0-9_]*';

export const IDENTIFIER = new RegExp(`^${IDENTIFIER_SOURCE}$`);

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}
