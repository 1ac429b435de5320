import { highestGeneration } from './fencing.js';
import { lsnDiff } from './lsn.js';

/** What a replica reports about itself (pg_is_in_recovery, replay and receive positions, replay age). */
export interface ReplicaReport {
  readonly standby: boolean;
  readonly replayLsn: string | null;
  readonly receiveLsn: string | null;
  /** Time since the last replayed transaction committed on the primary. */
  readonly replayAgeMs: number | null;
}

export interface ReplicaLag {
  readonly lagMs: number | null;
  readonly lagBytes: number | null;
}

export interface ReaderState extends ReplicaLag {
  readonly healthy: boolean;
  readonly standby: boolean;
  readonly generation: number | null;
  readonly error?: string;
}

export const UNMEASURED: ReaderState = Object.freeze({ healthy: false, standby: false, lagMs: null, lagBytes: null, generation: null });

/**
 * How far a standby's replay is behind, in bytes and time. Measured against the primary's current
 * WAL position when it answered, else against what the standby received but has not replayed yet.
 * A standby that has replayed everything lags 0 ms however long ago the last transaction was (the
 * replay age only grows on an idle primary); one that has not is as old as its last replay.
 */
export function replicaLag(report: ReplicaReport, primaryLsn: string | undefined): ReplicaLag {
  const ahead = primaryLsn ?? report.receiveLsn;
  const behind = ahead === null || report.replayLsn === null ? null : lsnDiff(ahead, report.replayLsn);
  return {
    lagBytes: behind === null ? null : Math.max(0, behind),
    lagMs: behind !== null && behind <= 0 ? 0 : report.replayAgeMs,
  };
}

export interface ReplicaMeasurement {
  readonly report: ReplicaReport;
  readonly generation: number | null;
  /** The primary's current WAL position, if it answered. */
  readonly primaryLsn: string | undefined;
  /** The primary's connection failed (not merely slow): the replica is all there is. */
  readonly primaryDown: boolean;
  /** The highest generation seen before this measurement. */
  readonly highestGeneration: number;
  readonly maxLagMs: number;
}

/**
 * Whether reads may use the replica. Within the lag bound, or at any lag while the primary is down
 * (static stability beats failing reads). Never when it holds an older generation than one seen:
 * it follows a superseded primary, or is one, in which case it is also to be fenced.
 */
export function assessReplica(m: ReplicaMeasurement): { readonly state: ReaderState; readonly fence: boolean } {
  const { report, generation } = m;
  const highest = highestGeneration(m.highestGeneration, [generation]);
  const outdated = generation !== null && generation < highest;
  if (!report.standby) {
    return outdated
      ? { fence: true, state: { ...UNMEASURED, generation, error: `fenced: a writable server with cluster generation ${generation}, older than ${highest}` } }
      : { fence: false, state: { healthy: true, standby: false, lagMs: 0, lagBytes: 0, generation } };
  }
  const lag = replicaLag(report, m.primaryLsn);
  if (outdated) {
    return { fence: false, state: { healthy: false, standby: true, ...lag, generation, error: `follows a superseded primary: cluster generation ${generation}, older than ${highest}` } };
  }
  return { fence: false, state: { healthy: m.primaryDown || (lag.lagMs !== null && lag.lagMs <= m.maxLagMs), standby: true, ...lag, generation } };
}
