/**
 * PostgreSQL WAL positions (pg_lsn). The text form is `X/Y`: the high and low 32 bits of a byte
 * offset, in hex. Compared as text they sort wrongly (`0/FFFFFFFF` > `1/0`), hence these helpers.
 */
const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The byte offset an LSN stands for. Throws on anything else: a garbled position must not rank. */
export function parseLsn(lsn: string): bigint {
  const match = LSN.exec(lsn);
  if (!match) throw new Error(`'${lsn}' is not a pg_lsn (X/Y in hex)`);
  return (BigInt(`0x${match[1]!}`) << 32n) + BigInt(`0x${match[2]!}`);
}

/** Compares two pg_lsn values: -1, 0 or 1, for sorting. */
export function compareLsn(a: string, b: string): -1 | 0 | 1 {
  const x = parseLsn(a);
  const y = parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `a - b` in bytes (negative when `a` is behind `b`). */
export function lsnDiff(a: string, b: string): number {
  return Number(parseLsn(a) - parseLsn(b));
}
