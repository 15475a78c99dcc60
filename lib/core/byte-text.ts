// Bash values are bytes; the runner's are strings. A value whose bytes are not UTF-8 (Latin-1 text, raw
// bytes) keeps each byte that is not part of a valid sequence as a lone surrogate U+DC80..U+DCFF (Python's
// "surrogateescape"), which JSON keeps as `\udcXX` and which goes back to bash as the byte it was.
const FATAL = new TextDecoder('utf-8', { fatal: true });
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;
const ESCAPED_ALL = new RegExp(ESCAPED.source, 'g');

/** How many bytes the UTF-8 sequence that `lead` begins has (0: it begins none). */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** The bytes as text: valid UTF-8 decoded, any other byte kept as its escape. */
export function textOfBytes(bytes: Uint8Array): string {
  try {
    return FATAL.decode(bytes);
  } catch {
    // Some byte is not part of a valid sequence: decoded sequence by sequence.
  }
  let text = '';
  let from = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = sequenceLength(b);
    let valid = false;
    if (n && i + n <= bytes.length) {
      try {
        FATAL.decode(bytes.subarray(i, i + n));
        valid = true;
      } catch {
        valid = false;
      }
    }
    if (valid) {
      i += n;
      continue;
    }
    text += FATAL.decode(bytes.subarray(from, i)) + String.fromCharCode(0xdc00 | b);
    from = ++i;
  }
  return text + FATAL.decode(bytes.subarray(from));
}

/** The text as the bytes it stands for: UTF-8, and each escaped byte as itself. */
export function bytesOfText(text: string): Buffer {
  if (!ESCAPED.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (const m of text.matchAll(ESCAPED_ALL)) {
    const at = m.index as number;
    parts.push(Buffer.from(text.slice(from, at), 'utf8'), Buffer.of(text.charCodeAt(at) & 0xff));
    from = at + 1;
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}
