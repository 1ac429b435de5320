/** String helpers with Rust's semantics where JavaScript's differ. */

/** char::is_whitespace (Unicode White_Space), which str::trim uses; JS trim differs (U+FEFF, U+0085). */
const RUST_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function rustTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && RUST_WHITESPACE.has(s.charCodeAt(start))) start++;
  while (end > start && RUST_WHITESPACE.has(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** str::len: UTF-8 bytes. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
};

/** `str.get(i..i+1)`: the character at byte i when it is one byte long, else undefined. */
export function byteChar(s: string, index: number): string | undefined {
  if (isAscii(s)) return index < s.length ? s[index] : undefined;
  const bytes = Buffer.from(s, 'utf8');
  const b = bytes[index];
  return b !== undefined && b < 0x80 ? String.fromCharCode(b) : undefined;
}

/** `str.get(from..=to)`: a byte range on char boundaries, else undefined. */
export function byteSlice(s: string, from: number, to: number): string | undefined {
  if (isAscii(s)) {
    if (to + 1 > s.length || from > to + 1) return undefined;
    return s.slice(from, to + 1);
  }
  const bytes = Buffer.from(s, 'utf8');
  const end = to + 1;
  if (end > bytes.length || from > end) return undefined;
  const boundary = (i: number): boolean => i === bytes.length || (bytes[i]! & 0xc0) !== 0x80;
  if (!boundary(from) || !boundary(end)) return undefined;
  return bytes.subarray(from, end).toString('utf8');
}

/** str::split: an empty separator splits around every char, with empty ends. */
export function rustSplit(s: string, separator: string): string[] {
  if (separator === '') return ['', ...Array.from(s), ''];
  return s.split(separator);
}
