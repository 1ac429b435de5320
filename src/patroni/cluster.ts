import { PatroniError } from './errors.js';

/**
 * Patroni's `GET /cluster`, typed. Written against Patroni 3.0.2 (Debian 12's package, what the
 * lab runs: `patroni/utils.py` `cluster_as_json`) and read so that later versions parse too:
 *
 * - 3.0.2 gives each member `name`, `role`, `state`, `api_url`, `host`, `port`, `timeline`, `tags`,
 *   `pending_restart`, `scheduled_restart`, and for every member but the leader `lag`: bytes behind
 *   the leader's last known WAL position (from the DCS, refreshed every `loop_wait`), or `"unknown"`.
 * - 3.0.4 and later add `receive_lag`/`replay_lag` (bytes) and `lsn`/`receive_lsn`/`replay_lsn`
 *   ("0/3000060"), and report a replica's `state` as `streaming` or `in archive recovery`; 4.x adds
 *   the `quorum_standby` role.
 *
 * Unknown roles and states are kept as text rather than refused: a monitor must not go blind
 * because a newer Patroni says something new. Missing required fields are refused.
 */
export type PatroniRole = 'leader' | 'standby_leader' | 'sync_standby' | 'quorum_standby' | 'replica';

export interface PatroniMember {
  readonly name: string;
  /** `leader` (holds the leader lock, runs as primary), `standby_leader` (leads a standby cluster), or a replica kind. */
  readonly role: PatroniRole | (string & {});
  /** `running`, `streaming`, `starting`, `stopped`, `crashed`, `creating replica`, ... */
  readonly state: string;
  readonly apiUrl: string;
  readonly host: string | null;
  readonly port: number | null;
  readonly timeline: number | null;
  /** Bytes behind the leader (replicas only; null for the leader or when Patroni says `unknown`). */
  readonly lagBytes: number | null;
  /** 3.0.4+: receive and replay positions and lags, when reported. */
  readonly receiveLagBytes: number | null;
  readonly replayLagBytes: number | null;
  readonly lsn: string | null;
  readonly pendingRestart: boolean;
  readonly tags: Readonly<Record<string, unknown>>;
}

export interface PatroniCluster {
  /** Sorted by name, as Patroni sends them. */
  readonly members: readonly PatroniMember[];
  /** Maintenance mode: Patroni neither fails over nor restarts anything. */
  readonly paused: boolean;
  readonly scheduledSwitchover: { readonly at: string; readonly from: string | null; readonly to: string | null } | null;
}

const LEADER_ROLES: readonly string[] = ['leader', 'standby_leader'];

/** The member holding the leader lock (a `standby_leader` in a standby cluster), if any. */
export function leaderOf(cluster: PatroniCluster): PatroniMember | undefined {
  return cluster.members.find((m) => LEADER_ROLES.includes(m.role));
}

/** Members Patroni has made synchronous (`sync_standby`, or `quorum_standby` in 4.x quorum mode). */
export function syncStandbysOf(cluster: PatroniCluster): PatroniMember[] {
  return cluster.members.filter((m) => m.role === 'sync_standby' || m.role === 'quorum_standby');
}

/** Whether the cluster is a standby cluster (its leader follows another cluster). */
export const isStandbyCluster = (cluster: PatroniCluster): boolean => leaderOf(cluster)?.role === 'standby_leader';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads `GET /cluster`'s body; `source` names where it came from in errors. */
export function parseCluster(body: unknown, source: string): PatroniCluster {
  const fail = (field: string, problem: string) => new PatroniError(`${source}: /cluster ${field}: ${problem}`);
  if (!isObject(body)) throw fail('(body)', 'must be a JSON object');
  if (!Array.isArray(body.members)) throw fail('members', body.members === undefined ? 'missing' : 'must be a list');
  const members = body.members.map((raw, i) => parseMember(raw, (field, problem) => fail(`members[${i}]${field ? `.${field}` : ''}`, problem)));
  const switchover = body.scheduled_switchover;
  let scheduledSwitchover: PatroniCluster['scheduledSwitchover'] = null;
  if (switchover !== undefined && switchover !== null) {
    if (!isObject(switchover) || typeof switchover.at !== 'string') throw fail('scheduled_switchover.at', 'must be a timestamp');
    scheduledSwitchover = { at: switchover.at, from: optionalText(switchover.from), to: optionalText(switchover.to) };
  }
  return { members, paused: body.pause === true, scheduledSwitchover };
}

function parseMember(raw: unknown, fail: (field: string, problem: string) => PatroniError): PatroniMember {
  if (!isObject(raw)) throw fail('', 'must be a JSON object');
  const text = (key: string): string => {
    const value = raw[key];
    if (typeof value !== 'string' || value === '') throw fail(key, value === undefined ? 'missing' : 'must be a non-empty string');
    return value;
  };
  const integer = (key: string): number | null => {
    const value = raw[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw fail(key, 'must be a whole number');
    return value;
  };
  /** Bytes behind the leader: a number, `unknown` (no position reported yet), or absent (the leader). */
  const lag = (key: string): number | null => (raw[key] === 'unknown' ? null : integer(key));
  const tags = raw.tags;
  if (tags !== undefined && !isObject(tags)) throw fail('tags', 'must be a JSON object');
  const state = raw.state;
  if (typeof state !== 'string') throw fail('state', state === undefined ? 'missing' : 'must be a string');
  return {
    name: text('name'),
    role: text('role'),
    state,
    apiUrl: text('api_url'),
    host: optionalText(raw.host),
    port: integer('port'),
    timeline: integer('timeline'),
    lagBytes: lag('lag'),
    receiveLagBytes: lag('receive_lag'),
    replayLagBytes: lag('replay_lag'),
    lsn: optionalText(raw.lsn === 'unknown' ? undefined : raw.lsn),
    pendingRestart: raw.pending_restart === true,
    tags: tags ?? {},
  };
}

const optionalText = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
