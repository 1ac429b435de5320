import { describe, expect, it } from 'vitest';
import { primaryRegion, replicationToRestore } from '../../src/dr/primary.js';
import { parseSynchronousStandbyNames } from '../../src/pg-admin/replication.js';
import { parseTopology } from '../../src/topology/load.js';
import type { ServerStatus } from '../../src/dr/status.js';

const topology = (extra = '') =>
  parseTopology(`${extra}\nregions:\n${['r1', 'r2', 'r3'].map((n) => `  - { name: ${n}, postgres: { url: "postgres://${n}/v" } }`).join('\n')}\n`, 't.yaml');
const servers = (...roles: ServerStatus['role'][]) => roles.map((role, i) => ({ region: `r${i + 1}`, role }) as ServerStatus);

describe('which region holds the primary', () => {
  it('is the live answer when a server answers as the primary, whatever the topology recorded', () => {
    expect(primaryRegion(topology('primary: r1'), { primary: 'r2', servers: servers('primary', 'primary', 'standby') }).name).toBe('r2');
  });

  it("is the topology's record when no primary answers, unless that server is a standby now", () => {
    expect(primaryRegion(topology('primary: r1'), { primary: null, servers: servers('unreachable', 'standby', 'unreachable') }).name).toBe('r1');
    expect(primaryRegion(topology('primary: r2'), { primary: null, servers: servers('unreachable', 'standby', 'standby') }).name).toBe('r1');
  });

  it('is the one silent server without a record, and asks for one when that is ambiguous', () => {
    expect(primaryRegion(topology(), { primary: null, servers: servers('standby', 'unreachable', 'standby') }).name).toBe('r2');
    expect(() => primaryRegion(topology(), { primary: null, servers: servers('unreachable', 'unreachable', 'standby') })).toThrow(
      'no server answers as the primary, and r1, r2 do not answer: name the region that held it in the topology (primary: <region>)',
    );
  });
});

describe('the replication mode to restore', () => {
  const live = (names: string, mode: 'sync' | 'quorum' | 'async' = 'sync') => ({ replication: { synchronousStandbyNames: names, synchronousCommit: 'on', mode } });

  it("is the topology's, else the primary's live setting, else sync with one standby", () => {
    expect(replicationToRestore(topology('replication: { mode: async, standbys: 0 }'), live('FIRST 1 (r2)'))).toEqual({ mode: 'async', standbys: 0 });
    expect(replicationToRestore(topology(), live('ANY 2 (r2, r3)', 'quorum'))).toEqual({ mode: 'quorum', standbys: 2 });
    expect(replicationToRestore(topology(), live('', 'async'))).toEqual({ mode: 'async', standbys: 0 });
    expect(replicationToRestore(topology(), { replication: null })).toEqual({ mode: 'sync', standbys: 1 });
  });

  it('reads every form of synchronous_standby_names', () => {
    expect(parseSynchronousStandbyNames('')).toEqual({ mode: 'async', standbys: 0 });
    expect(parseSynchronousStandbyNames('FIRST 2 (a, b, c)')).toEqual({ mode: 'sync', standbys: 2 });
    expect(parseSynchronousStandbyNames('any 1 (a, b)')).toEqual({ mode: 'quorum', standbys: 1 });
    expect(parseSynchronousStandbyNames('2 (a, b)')).toEqual({ mode: 'sync', standbys: 2 });
    expect(parseSynchronousStandbyNames('a, b')).toEqual({ mode: 'sync', standbys: 1 });
  });
});
