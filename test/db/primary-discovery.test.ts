import { describe, expect, it } from 'vitest';
import { GenerationFence, highestGeneration, isCurrentGeneration } from '../../src/db/fencing.js';
import { choosePrimary, hostOf, type HostStatus } from '../../src/db/primary-discovery.js';

const primary = (host: string, generation: number | null): HostStatus => ({ host, role: 'primary', generation });
const standby = (host: string, generation: number | null): HostStatus => ({ host, role: 'standby', generation });
const down = (host: string): HostStatus => ({ host, role: 'unreachable', generation: null, error: 'connect ECONNREFUSED' });

describe('generation comparison', () => {
  it('counts a server current only at the highest generation seen', () => {
    expect(isCurrentGeneration(3, 3)).toBe(true);
    expect(isCurrentGeneration(4, 3)).toBe(true);
    expect(isCurrentGeneration(2, 3)).toBe(false);
  });

  it('accepts a server without a generation only before any has been seen', () => {
    expect(isCurrentGeneration(null, 0)).toBe(true);
    expect(isCurrentGeneration(null, 1)).toBe(false);
  });

  it('only goes up, ignoring servers that did not say', () => {
    expect(highestGeneration(0, [])).toBe(0);
    expect(highestGeneration(2, [1, null, 3])).toBe(3);
    expect(highestGeneration(5, [1, null, 3])).toBe(5);
    const fence = new GenerationFence(undefined);
    fence.observe(2);
    fence.observe(null);
    fence.observe(1);
    expect(fence.highest).toBe(2);
    expect(fence.isCurrent(1)).toBe(false);
  });

  it('remembers each fenced host once, with its latest generation', () => {
    const fence = new GenerationFence(undefined);
    fence.observe(3);
    fence.fence('a:5432', 1);
    fence.fence('a:5432', 2);
    expect(fence.fenced).toEqual([{ host: 'a:5432', generation: 2, at: expect.any(String) }]);
  });
});

describe('choosing the primary', () => {
  it('takes the writable host with the highest generation and fences older writable ones', () => {
    const choice = choosePrimary([primary('a:5432', 1), standby('b:5432', 1), primary('c:5432', 2)], 0);
    expect(choice).toMatchObject({ kind: 'primary', primary: { host: 'c:5432' }, highest: 2, fenced: [{ host: 'a:5432', generation: 1 }] });
  });

  it('counts generations seen before: a lone old primary is fenced, not chosen', () => {
    const choice = choosePrimary([primary('a:5432', 1), standby('b:5432', 1)], 2);
    expect(choice.kind).toBe('none');
    expect(choice.fenced.map((p) => p.host)).toEqual(['a:5432']);
    expect(choice.kind === 'none' && choice.detail).toBe('a:5432 primary (writable but fenced: cluster generation 1 is older than 2), b:5432 standby');
  });

  it('refuses two writable hosts at the same highest generation: split brain', () => {
    const choice = choosePrimary([primary('a:5432', 2), primary('b:5432', 2), primary('c:5432', 1)], 1);
    expect(choice).toMatchObject({ kind: 'split-brain', hosts: ['a:5432', 'b:5432'], highest: 2, fenced: [{ host: 'c:5432' }] });
  });

  it('is no split brain when the newer of two writable hosts is ahead', () => {
    expect(choosePrimary([primary('a:5432', 2), primary('b:5432', 3)], 0)).toMatchObject({ kind: 'primary', primary: { host: 'b:5432' } });
  });

  it('takes the first writable host before any generation exists (a database not yet migrated)', () => {
    expect(choosePrimary([primary('a:5432', null), primary('b:5432', null)], 0)).toMatchObject({ kind: 'primary', primary: { host: 'a:5432' }, highest: 0, fenced: [] });
  });

  it('fences a writable host without a generation once one has been seen: not this cluster', () => {
    const choice = choosePrimary([primary('a:5432', null), primary('b:5432', 1)], 0);
    expect(choice).toMatchObject({ kind: 'primary', primary: { host: 'b:5432' }, fenced: [{ host: 'a:5432', generation: null }] });
    expect(choosePrimary([primary('a:5432', null)], 1)).toMatchObject({ kind: 'none', detail: 'a:5432 primary (writable but fenced: cluster generation missing is older than 1)' });
  });

  it('says what it saw when nothing is writable', () => {
    const choice = choosePrimary([down('a:5432'), standby('b:5432', 4)], 0);
    expect(choice).toMatchObject({ kind: 'none', highest: 4, detail: 'a:5432 unreachable (connect ECONNREFUSED), b:5432 standby' });
    expect(choosePrimary([], 0)).toMatchObject({ kind: 'none', detail: '' });
  });

  it('names hosts as host:port, with the default port when the URL has none', () => {
    expect(hostOf('postgres://u:p@db1:5433/verdict')).toBe('db1:5433');
    expect(hostOf('postgres://db2/verdict')).toBe('db2:5432');
    expect(hostOf('postgresql://[::1]:6000/x')).toBe('[::1]:6000');
  });
});
