import { describe, expect, it } from 'vitest';
import { assessReplica, replicaLag, type ReplicaReport } from '../../src/db/replica-lag.js';

const standby = (over: Partial<ReplicaReport> = {}): ReplicaReport => ({ standby: true, replayLsn: '0/3000000', receiveLsn: '0/3000000', replayAgeMs: 1234, ...over });

describe('replica lag', () => {
  it('is 0 once the replica has replayed up to the primary, however old its last replay', () => {
    expect(replicaLag(standby(), '0/3000000')).toEqual({ lagMs: 0, lagBytes: 0 });
    expect(replicaLag(standby({ replayAgeMs: 3_600_000 }), '0/3000000')).toEqual({ lagMs: 0, lagBytes: 0 });
  });

  it('is the replay age and the WAL distance while behind the primary', () => {
    expect(replicaLag(standby(), '0/3000060')).toEqual({ lagMs: 1234, lagBytes: 0x60 });
    expect(replicaLag(standby({ replayLsn: '0/FFFFFFFF' }), '1/0')).toEqual({ lagMs: 1234, lagBytes: 1 });
  });

  it('is never negative: a replica measured after the primary may be past its position', () => {
    expect(replicaLag(standby({ replayLsn: '0/3000100' }), '0/3000000')).toEqual({ lagMs: 0, lagBytes: 0 });
  });

  it('without a primary, is what the replica received and has not replayed', () => {
    expect(replicaLag(standby({ receiveLsn: '0/3000010' }), undefined)).toEqual({ lagMs: 1234, lagBytes: 0x10 });
    expect(replicaLag(standby(), undefined)).toEqual({ lagMs: 0, lagBytes: 0 });
  });

  it('is unknown in bytes when a position is missing, and then as old as the replay age says', () => {
    expect(replicaLag(standby({ replayLsn: null, replayAgeMs: null }), '0/3000000')).toEqual({ lagMs: null, lagBytes: null });
    expect(replicaLag(standby({ receiveLsn: null }), undefined)).toEqual({ lagMs: 1234, lagBytes: null });
  });
});

describe('whether reads may use the replica', () => {
  const base = { generation: 2, primaryLsn: '0/3000060', primaryDown: false, highestGeneration: 2, maxLagMs: 1000 };

  it('within the lag bound only, while the primary is up', () => {
    expect(assessReplica({ ...base, report: standby({ replayAgeMs: 999 }) }).state).toMatchObject({ healthy: true, standby: true, lagMs: 999 });
    expect(assessReplica({ ...base, report: standby({ replayAgeMs: 1000 }) }).state.healthy).toBe(true);
    expect(assessReplica({ ...base, report: standby({ replayAgeMs: 1001 }) }).state.healthy).toBe(false);
    expect(assessReplica({ ...base, report: standby({ replayAgeMs: null }) }).state.healthy).toBe(false);
  });

  it('at any lag while the primary is down (static stability)', () => {
    const assessed = assessReplica({ ...base, primaryLsn: undefined, primaryDown: true, report: standby({ receiveLsn: '0/4000000', replayAgeMs: 60_000 }) });
    expect(assessed).toEqual({ fence: false, state: { healthy: true, standby: true, lagMs: 60_000, lagBytes: 0x1000000, generation: 2 } });
  });

  it('never when it follows a superseded primary', () => {
    const assessed = assessReplica({ ...base, highestGeneration: 3, primaryDown: true, report: standby() });
    expect(assessed.fence).toBe(false);
    expect(assessed.state).toMatchObject({ healthy: false, standby: true, error: 'follows a superseded primary: cluster generation 2, older than 3' });
  });

  it('is the primary itself when writable at the current generation, and fenced when older', () => {
    expect(assessReplica({ ...base, report: standby({ standby: false }) })).toEqual({ fence: false, state: { healthy: true, standby: false, lagMs: 0, lagBytes: 0, generation: 2 } });
    const old = assessReplica({ ...base, generation: 1, report: standby({ standby: false }) });
    expect(old.fence).toBe(true);
    expect(old.state).toMatchObject({ healthy: false, standby: false, lagMs: null, error: 'fenced: a writable server with cluster generation 1, older than 2' });
  });

  it('counts its own generation as the newest when it is ahead, and does not fence without one', () => {
    expect(assessReplica({ ...base, primaryLsn: '0/3000000', generation: 5, report: standby() }).state).toMatchObject({ healthy: true, generation: 5 });
    expect(assessReplica({ ...base, generation: null, report: standby({ standby: false }) })).toMatchObject({ fence: false, state: { healthy: true } });
  });
});
