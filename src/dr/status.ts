import { connect, type Sql } from '../db/connect.js';
import { lsnDiff } from '../db/database.js';
import { readGeneration } from '../db/generation.js';
import { DeadlineError, withTimeout } from '../db/with-timeout.js';
import type { Fleet } from '../control-plane/fleet/schemas.js';
import { endpointsOf, type RegionEndpoints } from '../topology/model.js';
import type { DrTarget } from '../topology/target.js';
import { PATRONI_TIMEOUT_MS, patroniRegionStatus, type PatroniRegionStatus } from './patroni-status.js';

/** One region as DR sees it: its Postgres server and the Verdict nodes in front of it. */
export type DrRegion = RegionEndpoints;

export interface ServerStatus {
  readonly region: string;
  /** What PostgreSQL says: writable (primary), in recovery (standby), or no answer. */
  readonly role: 'primary' | 'standby' | 'unreachable';
  /** Writable, but with a cluster generation older than another server's: Verdict nodes refuse it. */
  readonly fenced: boolean;
  readonly error?: string;
  readonly timeline: number | null;
  readonly generation: number | null;
  /** Primary: its current WAL position. Standby: what it has received and replayed. */
  readonly currentLsn: string | null;
  readonly receiveLsn: string | null;
  readonly replayLsn: string | null;
  /** Standby: where it streams from (host:port in primary_conninfo) and whether it streams now. */
  readonly upstream: string | null;
  readonly streaming: boolean;
  /** Standby, as the primary sees it: sync, potential, quorum or async. */
  readonly syncState: string | null;
  /** Standby: how far its replay is behind the primary's current position. */
  readonly replayLagBytes: number | null;
  readonly replayLagSeconds: number | null;
}

/**
 * ok: one primary, no other writable server. no-primary: no writable server holds the highest
 * generation (none answers, or only fenced ones). split-brain: several writable servers share the
 * highest generation. fenced: the primary works, but an old primary also answers writable.
 */
export type DrHealth = 'ok' | 'no-primary' | 'split-brain' | 'fenced';

export interface DrStatus {
  readonly at: string;
  readonly health: DrHealth;
  /**
   * The writable server with the highest cluster generation, as Verdict nodes choose it; null when
   * none answers or several share it (split brain).
   */
  readonly primary: string | null;
  /** Every server that answers writable, fenced ones included. */
  readonly writable: readonly string[];
  /** Writable servers with a generation older than the highest seen: stale, to be rejoined. */
  readonly fenced: readonly string[];
  /** Writable servers sharing the highest generation when there are several; else empty. */
  readonly splitBrain: readonly string[];
  readonly highestGeneration: number | null;
  readonly replication: {
    readonly synchronousStandbyNames: string;
    readonly synchronousCommit: string;
    readonly mode: 'sync' | 'quorum' | 'async';
  } | null;
  /**
   * What a loss of the primary now would cost: WAL it has written that no standby has flushed.
   * Acknowledged commits are within it only in async mode (sync mode waits for a standby's flush).
   */
  readonly rpoExposure: {
    /** null: no standby streams, so nothing written since the last contact is anywhere else. */
    readonly bytes: number | null;
    readonly seconds: number | null;
    readonly acknowledgedCommitsAtRisk: boolean;
  } | null;
  readonly slots: readonly { readonly name: string; readonly active: boolean; readonly restartLsn: string | null }[];
  readonly servers: readonly ServerStatus[];
  readonly fleet: Fleet | null;
  readonly fleetError?: string;
  /**
   * Patroni's view of every region the topology says runs under Patroni (`patroni.restUrls`), in
   * region order: present when asked for (`dr status`) and some region has Patroni.
   */
  readonly patroni?: readonly PatroniRegionStatus[];
}

interface Probe {
  readonly standby: boolean;
  readonly timeline: number | null;
  readonly currentLsn: string | null;
  readonly receiveLsn: string | null;
  readonly replayLsn: string | null;
  readonly replayAgeSeconds: number | null;
  readonly upstream: string | null;
  readonly streaming: boolean;
  readonly generation: number | null;
}

const PROBE_TIMEOUT_S = 2;

export interface DrStatusOptions {
  /**
   * Every server must answer within this (its probe, and the primary's replication query), else
   * it counts as unreachable: a frozen or cut-off server does not hold the whole status up. Without
   * it only the 2 s connect timeout bounds a probe (`dr status` waits for slow servers).
   */
  readonly timeoutMs?: number;
  /**
   * Also ask the Patroni REST API of regions that list it (every member at once, each within 2 s,
   * or timeoutMs if shorter), while PostgreSQL is probed. Off for the commands that act (promote,
   * rejoin), which go by PostgreSQL alone.
   */
  readonly patroni?: boolean;
}

/** Asks every server about itself and the primary about its standbys; asks a node for the fleet. */
export async function drStatus(regions: readonly DrRegion[], adminToken: string | undefined, options: DrStatusOptions = {}): Promise<DrStatus> {
  const { timeoutMs } = options;
  // Started first and awaited last: Patroni's answers cost no time beyond PostgreSQL's probes.
  const patroniTimeoutMs = Math.min(PATRONI_TIMEOUT_MS, timeoutMs ?? PATRONI_TIMEOUT_MS);
  const patroniWork = options.patroni
    ? Promise.all(regions.flatMap((r) => (r.patroni ? [patroniRegionStatus(r.name, r.patroni.restUrls, patroniTimeoutMs)] : [])))
    : Promise.resolve([]);
  const connectTimeoutSeconds = timeoutMs === undefined ? PROBE_TIMEOUT_S : Math.max(1, Math.min(PROBE_TIMEOUT_S, Math.ceil(timeoutMs / 1000)));
  const within = <T>(work: Promise<T>): Promise<T> => (timeoutMs === undefined ? work : withTimeout(work, timeoutMs));
  const probes = await Promise.all(
    regions.map((r) => probe(r.postgresUrl, connectTimeoutSeconds, within).then((p) => ({ ok: true as const, p }), (e: Error) => ({ ok: false as const, e }))),
  );
  const roles = electPrimary(regions.map((r, i) => {
    const result = probes[i]!;
    return { region: r.name, writable: result.ok && !result.p.standby, generation: result.ok ? result.p.generation : null };
  }));
  const primaryIndex = regions.findIndex((r) => r.name === roles.primary);
  const primaryProbe = primaryIndex >= 0 ? (probes[primaryIndex] as { p: Probe }).p : undefined;

  let replication: DrStatus['replication'] = null;
  let slots: DrStatus['slots'] = [];
  let standbyRows: StandbyRow[] = [];
  if (primaryIndex >= 0) {
    const sql = connect(regions[primaryIndex]!.postgresUrl, { max: 1, connectTimeoutSeconds });
    let late = false;
    try {
      ({ replication, standbyRows, slots } = await within(replicationOf(sql)).catch((error: unknown) => {
        late = error instanceof DeadlineError;
        // With a deadline (a live view) a primary that stops answering now is shown without its
        // replication details; the next probe tells whether it is gone. `dr status` reports the error.
        if (timeoutMs === undefined) throw error;
        return { replication: null, standbyRows: [], slots: [] };
      }));
    } finally {
      // A primary that stopped answering mid-query: drop the connection now rather than wait for it.
      await sql.end({ timeout: late ? 0 : 1 });
    }
  }

  const servers: ServerStatus[] = regions.map((region, i) => {
    const result = probes[i]!;
    if (!result.ok) {
      return {
        region: region.name, role: 'unreachable', fenced: false, error: result.e.message, timeline: null, generation: null, currentLsn: null, receiveLsn: null,
        replayLsn: null, upstream: null, streaming: false, syncState: null, replayLagBytes: null, replayLagSeconds: null,
      };
    }
    const p = result.p;
    const row = standbyRows.find((r) => r.name === region.standbyName);
    const behind = p.standby && primaryProbe?.currentLsn && p.replayLsn ? Math.max(0, lsnDiff(primaryProbe.currentLsn, p.replayLsn)) : null;
    return {
      region: region.name,
      role: p.standby ? 'standby' : 'primary',
      fenced: roles.fenced.includes(region.name),
      timeline: p.timeline,
      generation: p.generation,
      currentLsn: p.currentLsn,
      receiveLsn: p.receiveLsn,
      replayLsn: p.replayLsn,
      upstream: p.upstream,
      streaming: p.standby ? p.streaming : false,
      syncState: p.standby ? (row?.syncState ?? null) : null,
      replayLagBytes: behind,
      replayLagSeconds: behind === null ? null : behind === 0 ? 0 : p.replayAgeSeconds,
    };
  });

  let rpoExposure: DrStatus['rpoExposure'] = null;
  if (primaryProbe?.currentLsn && replication) {
    const best = standbyRows.filter((r) => r.flushLsn !== null).sort((a, b) => lsnDiff(b.flushLsn!, a.flushLsn!))[0];
    const bytes = best ? Math.max(0, lsnDiff(primaryProbe.currentLsn, best.flushLsn!)) : null;
    rpoExposure = {
      bytes,
      seconds: bytes === null ? null : bytes === 0 ? 0 : (best?.flushLagS ?? null),
      acknowledgedCommitsAtRisk: replication.mode === 'async' || best === undefined,
    };
  }

  const fleet = await fetchFleet(regions, adminToken);
  const patroni = await patroniWork;
  return {
    at: new Date().toISOString(),
    health: roles.splitBrain.length > 0 ? 'split-brain' : roles.primary === null ? 'no-primary' : roles.fenced.length > 0 ? 'fenced' : 'ok',
    primary: roles.primary,
    writable: roles.writable,
    fenced: roles.fenced,
    splitBrain: roles.splitBrain,
    highestGeneration: roles.highestGeneration,
    replication,
    rpoExposure,
    slots,
    servers,
    fleet: fleet.fleet,
    ...(fleet.error ? { fleetError: fleet.error } : {}),
    ...(patroni.length > 0 ? { patroni } : {}),
  };
}

interface StandbyRow {
  readonly name: string;
  readonly syncState: string;
  readonly flushLsn: string | null;
  readonly flushLagS: number | null;
}

/** The primary's replication settings, its standbys as it sees them, and its slots. */
async function replicationOf(sql: Sql): Promise<{ replication: DrStatus['replication']; standbyRows: StandbyRow[]; slots: DrStatus['slots'] }> {
  const [settings] = await sql<{ names: string; commit: string }[]>`
    SELECT current_setting('synchronous_standby_names') AS names, current_setting('synchronous_commit') AS commit`;
  const names = settings!.names.trim();
  const replication = {
    synchronousStandbyNames: names,
    synchronousCommit: settings!.commit,
    mode: names === '' || ['off', 'local'].includes(settings!.commit) ? ('async' as const) : /^ANY\b/i.test(names) ? ('quorum' as const) : ('sync' as const),
  };
  const standbyRows = await sql<StandbyRow[]>`
    SELECT application_name AS name, sync_state, flush_lsn::text AS flush_lsn, extract(epoch FROM flush_lag)::float8 AS flush_lag_s
    FROM pg_stat_replication`;
  const slots = await sql<{ name: string; active: boolean; restartLsn: string | null }[]>`
    SELECT slot_name AS name, active, restart_lsn::text AS restart_lsn FROM pg_replication_slots WHERE slot_type = 'physical' ORDER BY slot_name`;
  return { replication, standbyRows: [...standbyRows], slots: [...slots] };
}

/**
 * Names the primary the way Verdict nodes find their writer: the writable server with the highest
 * cluster generation seen on any server (a standby of a newer primary carries its generation too).
 * A writable server with an older generation is an old primary that came back: fenced, not a
 * second primary. No generation at all counts as current only while no server has one (before
 * the migration that creates it). Region order is kept in every list.
 */
function electPrimary(servers: readonly { readonly region: string; readonly writable: boolean; readonly generation: number | null }[]): {
  primary: string | null;
  writable: string[];
  fenced: string[];
  splitBrain: string[];
  highestGeneration: number | null;
} {
  const generations = servers.map((s) => s.generation).filter((g): g is number => g !== null);
  const highest = generations.length > 0 ? Math.max(...generations) : null;
  const writable = servers.filter((s) => s.writable);
  const current = writable.filter((s) => (s.generation === null ? highest === null : s.generation >= highest!));
  return {
    primary: current.length === 1 ? current[0]!.region : null,
    writable: writable.map((s) => s.region),
    fenced: writable.filter((s) => !current.includes(s)).map((s) => s.region),
    splitBrain: current.length > 1 ? current.map((s) => s.region) : [],
    highestGeneration: highest,
  };
}

async function probe(url: string, connectTimeoutSeconds: number, within: <T>(work: Promise<T>) => Promise<T>): Promise<Probe> {
  const sql: Sql = connect(url, { max: 1, connectTimeoutSeconds });
  let late = false;
  try {
    return await within(probeOn(sql)).catch((error: unknown) => {
      late = error instanceof DeadlineError;
      throw error;
    });
  } finally {
    await sql.end({ timeout: late ? 0 : 1 });
  }
}

async function probeOn(sql: Sql): Promise<Probe> {
  const [row] = await sql<{ standby: boolean; currentLsn: string | null; receiveLsn: string | null; replayLsn: string | null; replayAgeSeconds: number | null }[]>`
    SELECT pg_is_in_recovery() AS standby,
           CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current_lsn,
           pg_last_wal_receive_lsn()::text AS receive_lsn, pg_last_wal_replay_lsn()::text AS replay_lsn,
           extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age_seconds`;
  let timeline: number | null;
  let upstream: string | null = null;
  let streaming = false;
  if (row!.standby) {
    const [receiver] = await sql<{ tli: number | null; host: string | null; port: number | null; status: string | null }[]>`
      SELECT received_tli AS tli, sender_host AS host, sender_port AS port, status FROM pg_stat_wal_receiver`;
    const [control] = await sql<{ tli: number }[]>`SELECT timeline_id AS tli FROM pg_control_checkpoint()`;
    timeline = receiver?.tli ?? control?.tli ?? null;
    streaming = receiver?.status === 'streaming';
    const [conninfo] = await sql<{ value: string }[]>`SELECT current_setting('primary_conninfo') AS value`;
    upstream = receiver?.host ? `${receiver.host}:${receiver.port}` : conninfoTarget(conninfo?.value ?? '');
  } else {
    // The timeline is the first 8 hex digits of the current WAL file name.
    const [tl] = await sql<{ tli: number }[]>`SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`;
    timeline = tl!.tli;
  }
  return { ...row!, timeline, upstream, streaming, generation: await readGeneration(sql) };
}

function conninfoTarget(conninfo: string): string | null {
  const host = /host=(\S+)/.exec(conninfo)?.[1];
  const port = /port=(\d+)/.exec(conninfo)?.[1];
  return host ? `${host}:${port ?? '5432'}` : null;
}

async function fetchFleet(regions: readonly DrRegion[], adminToken: string | undefined): Promise<{ fleet: Fleet | null; error?: string }> {
  if (!adminToken) return { fleet: null, error: 'no admin token to ask a node' };
  let error = 'no node answered';
  for (const url of regions.flatMap((r) => r.nodeUrls)) {
    try {
      const response = await fetch(`${url}/api/fleet`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(2000) });
      if (response.ok) return { fleet: (await response.json()) as Fleet };
      error = `${url} answered ${response.status}`;
    } catch (e) {
      error = `${url}: ${(e as Error).message}`;
    }
  }
  return { fleet: null, error };
}

/** `dr status` of a target: its topology's servers, the fleet as its token may ask for it, and Patroni's view where a region has one. */
export const targetStatus = (target: DrTarget, timeoutMs?: number): Promise<DrStatus> =>
  drStatus(endpointsOf(target.topology), target.adminToken, { patroni: true, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
