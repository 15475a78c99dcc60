// Bytes that are not UTF-8 survive the runner's strings: each such byte a lone surrogate, back as itself.
import { describe, expect, it } from 'vitest';
import { bytesOfText, textOfBytes } from '../../lib/core/byte-text.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('textOfBytes and bytesOfText', () => {
  it.each([
    ['ascii', '68692e'],
    ['valid UTF-8', 'c3a9e282acf09f9880'],
    ['Latin-1 byte', '636166e9'],
    ['stray continuation bytes', '8081ff'],
    ['a sequence cut short', '61e282'],
    ['an overlong form', 'c0af'],
    ['an encoded surrogate', 'eda080'],
    ['valid and not, mixed', 'e282ace9e282ac'],
  ])('round trips %s', (_what, bytes) => {
    const b = Buffer.from(bytes, 'hex');
    expect(hex(bytesOfText(textOfBytes(b)))).toBe(bytes);
  });

  it('decodes valid UTF-8 as text and escapes only the other bytes', () => {
    expect(textOfBytes(Buffer.from('café', 'utf8'))).toBe('café');
    expect(textOfBytes(Buffer.from('636166e9', 'hex'))).toBe('caf\udce9');
    expect(textOfBytes(Buffer.from('e9e282ac', 'hex'))).toBe('\udce9€');
  });

  it('keeps a real surrogate pair and plain text as UTF-8', () => {
    expect(hex(bytesOfText('😀'))).toBe('f09f9880');
    expect(hex(bytesOfText('a\0b'))).toBe('610062');
  });

  it('survives JSON, as the run record keeps it', () => {
    const text = textOfBytes(Buffer.from('ff61', 'hex'));
    expect(JSON.stringify(text)).toBe('"\\udcffa"');
    expect(hex(bytesOfText(JSON.parse(JSON.stringify(text))))).toBe('ff61');
  });
});
