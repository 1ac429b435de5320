import { describe, expect, it } from 'vitest';
import { compareLsn, lsnDiff, parseLsn } from '../../src/db/lsn.js';

describe('pg_lsn helpers', () => {
  it('reads X/Y as the high and low 32 bits of a byte offset, in either case', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')).toBe(2n ** 32n);
    expect(parseLsn('a/ff')).toBe(parseLsn('A/FF'));
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n);
  });

  it('refuses what is not a pg_lsn instead of ranking it', () => {
    for (const text of ['', '0', '0/', '/0', '0/0/0', 'x/1', '1/g', '123456789/0', ' 0/0', '0x1/0']) {
      expect(() => parseLsn(text), text).toThrow(/not a pg_lsn/);
    }
  });

  it('compares numerically, not as text', () => {
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBe(1);
    expect(compareLsn('0/FFFFFFFF', '1/0')).toBe(-1);
    expect(compareLsn('0/10', '0/9')).toBe(1);
    expect(compareLsn('0/3000060', '0/3000060')).toBe(0);
    expect(compareLsn('0/abc', '0/ABC')).toBe(0);
    expect(['0/9', '1/0', '0/10'].sort(compareLsn)).toEqual(['0/9', '0/10', '1/0']);
  });

  it('measures distance in bytes across the 4 GB boundary, negative when behind', () => {
    expect(lsnDiff('1/0', '0/FFFFFFFF')).toBe(1);
    expect(lsnDiff('0/FFFFFFFF', '1/0')).toBe(-1);
    expect(lsnDiff('2/10', '1/10')).toBe(2 ** 32);
    expect(lsnDiff('0/0', '0/0')).toBe(0);
  });
});
