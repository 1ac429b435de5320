import { describe, expect, it } from 'vitest';
import { parseLagBound } from '../../src/control-plane/health/routes.js';
import { lsnDiff } from '../../src/db/database.js';

describe('lag bounds for /health/replica', () => {
  it('reads bytes the way Patroni does, and time with a unit', () => {
    expect(parseLagBound('1048576')).toEqual({ kind: 'bytes', value: 1048576 });
    expect(parseLagBound('16MB')).toEqual({ kind: 'bytes', value: 16 * 1024 * 1024 });
    expect(parseLagBound('16kB')).toEqual({ kind: 'bytes', value: 16 * 1024 });
    expect(parseLagBound('1GB')).toEqual({ kind: 'bytes', value: 1024 ** 3 });
    expect(parseLagBound('500ms')).toEqual({ kind: 'ms', value: 500 });
    expect(parseLagBound('2s')).toEqual({ kind: 'ms', value: 2000 });
    expect(parseLagBound('1min')).toEqual({ kind: 'ms', value: 60_000 });
  });

  it('refuses what it cannot read', () => {
    for (const text of ['', 'soon', '-1', '5 parsecs', 'MB']) expect(parseLagBound(text)).toBeUndefined();
  });

  it('measures WAL distance across the 4 GB segment boundary', () => {
    expect(lsnDiff('1/0', '0/FFFFFFFF')).toBe(1);
    expect(lsnDiff('0/3000060', '0/3000000')).toBe(0x60);
    expect(lsnDiff('0/3000000', '0/3000060')).toBe(-0x60);
  });
});
