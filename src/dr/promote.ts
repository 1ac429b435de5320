import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Sql } from '../db/connect.js';
import { compareLsn, lsnDiff } from '../db/database.js';
import { bumpGeneration } from '../db/generation.js';
import { clusterOf, primaryConninfo } from '../lab/lab.js';
import { LabError, drRegions, findRegion, postgresUrl, readLabState, standbyName, writeLabState, type LabRegion, type LabState } from '../lab/state.js';
import { rejoinRegion } from './rejoin.js';
import { ensureSlot, setReplicationMode, synchronousStandbyNames, type ReplicationReport } from './replication.js';
import { drStatus, type ServerStatus } from './status.js';
import { Timeline, type TimelineStep } from './timeline.js';

export interface PromoteOptions {
  /** The region to promote; default: the most advanced reachable standby. */
  readonly region?: string;
  /** Promote even when another standby has received more WAL (whatever only it holds is lost). */
  readonly force?: boolean;
  /** The old primary cannot be reached and the operator confirms it is lost, not just cut off. */
  readonly confirmOldPrimaryLost?: boolean;
  /** How far behind the most advanced standby the target may be without --force (bytes). */
  readonly maxBehindBytes?: number;
  /** Switchover: how long the fenced old primary waits for a standby to receive its last WAL before the fence is lifted again. */
  readonly catchUpTimeoutMs?: number;
  readonly progress?: (step: string) => void;
}

export interface PromoteReport {
  readonly promoted: string;
  readonly oldPrimary: string;
  /** How the old primary was kept from taking writes. */
  readonly oldPrimaryFence: 'stopped after handing over its WAL' | 'confirmed lost by the operator';
  readonly generation: number;
  readonly timeline: number | null;
  readonly standbys: readonly { readonly region: string; readonly outcome: 'following' | 'rebuilt' | 'unreachable' | 'failed'; readonly detail?: string }[];
  readonly replication: ReplicationReport;
  readonly steps: readonly TimelineStep[];
  readonly totalMs: number;
}

const FOLLOW_TIMEOUT_MS = 10_000;
/** How long the fence may take to hold, and standbys of a fenced primary to receive its last WAL. */
const FENCE_TIMEOUT_MS = 5_000;
const CATCH_UP_TIMEOUT_MS = 30_000;
const CATCH_UP_GRACE_MS = 2_000;

/**
 * Fenced promotion of a standby region (lab): fences the old primary (read-only, then a standby
 * that received its last WAL is the target, then it is stopped) or takes the operator's word that
 * it is lost and picks the most advanced standby; prepares the target while it
 * is still a standby (replication settings, slots) and re-points the other standbys at it, so
 * they follow its new timeline the moment it is promoted; pg_promote; makes sure commits cannot
 * block on a standby that does not follow; bumps the cluster generation, which fences the old
 * primary in every Verdict node that sees it.
 */
export async function promoteRegion(dir: string, options: PromoteOptions = {}): Promise<PromoteReport> {
  const state = readLabState(dir);
  const timeline = new Timeline(options.progress);
  const regions = drRegions(state);
  const status = await timeline.step('inspect every server', () => drStatus(regions, undefined));
  const oldPrimary = findRegion(state, state.primaryRegion);
  const oldPrimaryServer = status.servers.find((s) => s.region === oldPrimary.name)!;
  if (status.splitBrain.length > 0) {
    throw new LabError(`several servers are writable with the same cluster generation (${status.splitBrain.join(', ')}): resolve the split brain before promoting`);
  }
  if (status.primary !== null && status.fenced.length > 0) {
    throw new LabError(
      `${status.fenced.join(', ')} is writable with a cluster generation older than ${status.primary}'s (an old primary that came back): ` +
        `make it a standby first with verdict dr rejoin --region ${status.fenced[0]}`,
    );
  }
  const standbys = status.servers.filter((s) => s.role === 'standby');
  if (standbys.length === 0) throw new LabError('no standby can be reached: nothing to promote');
  if (options.region !== undefined) {
    findRegion(state, options.region);
    if (options.region === oldPrimary.name) throw new LabError(`${options.region} already holds the primary`);
    if (!standbys.some((s) => s.region === options.region)) throw new LabError(`${options.region} is not a reachable standby`);
  }

  const reachable = oldPrimaryServer.role === 'primary';
  if (!reachable && !options.confirmOldPrimaryLost) {
    throw new LabError(
      `the primary in ${oldPrimary.name} cannot be reached (${oldPrimaryServer.error ?? oldPrimaryServer.role}). If it is lost, not merely cut off from here, ` +
        'repeat with --confirm-old-primary-lost: a primary that is only partitioned keeps taking writes from whoever still reaches it',
    );
  }

  // Planned switchover: nothing written on the old primary may be lost. Positions of standbys of a
  // live primary differ by whatever it wrote between two probes (heartbeats alone do), so they are
  // compared only once it is fenced: the target is a standby that received its final position.
  let target: ServerStatus;
  let fence: PromoteReport['oldPrimaryFence'] = 'confirmed lost by the operator';
  if (reachable) {
    const candidates = standbys.filter((s) => s.streaming && (options.region === undefined || s.region === options.region));
    if (candidates.length === 0) {
      throw new LabError(
        `${options.region ? `${options.region} does not` : 'no standby does'} stream from ${oldPrimary.name} now, so nothing could receive everything it wrote: ` +
          'a switchover needs a streaming standby (see verdict dr status)',
      );
    }
    const oldPrimaryUrl = postgresUrl(state, oldPrimary);
    try {
      const finalLsn = await timeline.step(`fence the old primary in ${oldPrimary.name} (read-only, sessions ended)`, () => fenceReadOnly(oldPrimaryUrl));
      target = await timeline.step(`wait until ${candidates.map((s) => s.region).join(' or ')} has received everything up to ${finalLsn}`, () =>
        firstToReceive(state, candidates, finalLsn, options.catchUpTimeoutMs ?? CATCH_UP_TIMEOUT_MS),
      );
    } catch (error) {
      const lifted = await timeline.attempt(`lift the fence: ${oldPrimary.name} takes writes again`, () => liftFence(oldPrimaryUrl).then(() => true as const, (e: Error) => e.message));
      if (lifted !== true) {
        throw new LabError(`${(error as Error).message}; lifting the fence failed too (${lifted}): run ALTER SYSTEM RESET default_transaction_read_only on ${oldPrimary.name}`);
      }
      throw error;
    }
    await timeline.step(`stop PostgreSQL in ${oldPrimary.name}`, () => clusterOf(oldPrimary).stop('fast'));
    fence = 'stopped after handing over its WAL';
  } else {
    target = pickTarget(standbys, options);
  }
  if (target.region === oldPrimary.name) throw new LabError(`${target.region} already holds the primary`);
  const targetRegion = findRegion(state, target.region);

  const others = state.regions.filter((r) => r.name !== targetRegion.name && r.name !== oldPrimary.name);
  const followers = others.filter((r) => standbys.some((s) => s.region === r.name));
  const targetSql = connect(postgresUrl(state, targetRegion), { max: 1 });
  try {
    await timeline.step(`prepare ${target.region}: replication settings and slots for ${followers.map((r) => r.name).join(', ') || 'no other standby'}`, async () => {
      // While it is a standby nothing is committed on it: the settings take effect at promotion.
      const names = synchronousStandbyNames(state.replication, followers.map((r) => standbyName(r.name)));
      await targetSql.unsafe(`ALTER SYSTEM SET synchronous_standby_names = '${names}'`);
      await targetSql`SELECT pg_reload_conf()`;
      for (const region of followers) await ensureSlot(targetSql, standbyName(region.name));
    });
    await timeline.step(`re-point ${followers.map((r) => r.name).join(', ') || 'no standby'} at ${target.region}`, async () => {
      for (const region of followers) await repoint(state, region, targetRegion);
    });
    await timeline.step(`pg_promote ${target.region}`, async () => {
      const [row] = await targetSql<{ promoted: boolean }[]>`SELECT pg_promote(wait => true, wait_seconds => 60) AS promoted`;
      if (!row?.promoted) throw new LabError(`pg_promote on ${target.region} did not finish within 60 s; see ${targetRegion.postgres.logFile}`);
    });
  } finally {
    await targetSql.end({ timeout: 1 });
  }

  // A standby that had received more than the target cannot follow its timeline: rebuild it.
  const outcomes: { region: string; outcome: 'following' | 'rebuilt' | 'unreachable' | 'failed'; detail?: string }[] = [];
  const newPrimarySql = connect(postgresUrl(state, targetRegion), { max: 1 });
  try {
    const following = await timeline.step('wait for the standbys to follow the new timeline', () =>
      waitForFollowers(newPrimarySql, followers.map((r) => standbyName(r.name))),
    );
    state.primaryRegion = targetRegion.name;
    writeLabState(state);
    for (const region of others) {
      if (!followers.includes(region)) outcomes.push({ region: region.name, outcome: 'unreachable' });
      else if (following.has(standbyName(region.name))) outcomes.push({ region: region.name, outcome: 'following' });
      else {
        try {
          await timeline.step(`rebuild ${region.name} as a standby of ${target.region} (it could not follow)`, () => rejoinRegion(state.dir, region.name, { restartNodes: false }));
          outcomes.push({ region: region.name, outcome: 'rebuilt' });
        } catch (error) {
          outcomes.push({ region: region.name, outcome: 'failed', detail: (error as Error).message });
        }
      }
    }
    // Only standbys that follow can confirm commits: naming one that does not (its rebuild failed)
    // would make every commit wait for it; with none, the new primary runs async until rejoin.
    const confirming = outcomes.filter((o) => o.outcome === 'following' || o.outcome === 'rebuilt').map((o) => standbyName(o.region));
    const replication = await timeline.step(`${state.replication.mode} replication on ${target.region}`, () =>
      setReplicationMode(newPrimarySql, state.replication, confirming),
    );
    const generation = await timeline.step('bump the cluster generation (fences the old primary in every node)', () =>
      bumpGeneration(newPrimarySql, 'verdict dr promote', `${target.region} promoted; ${oldPrimary.name} ${reachable ? 'stopped' : 'lost'}`),
    );
    const [tl] = await newPrimarySql<{ tli: number }[]>`SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`;
    return {
      promoted: target.region,
      oldPrimary: oldPrimary.name,
      oldPrimaryFence: fence,
      generation,
      timeline: tl?.tli ?? null,
      standbys: outcomes,
      replication,
      steps: timeline.steps,
      totalMs: timeline.elapsedMs,
    };
  } finally {
    await newPrimarySql.end({ timeout: 1 });
  }
}

/** The old primary is lost: what the standbys received is all there is; the most advanced one has the most. */
function pickTarget(standbys: readonly ServerStatus[], options: PromoteOptions): ServerStatus {
  const position = (s: ServerStatus) => s.receiveLsn ?? s.replayLsn ?? '0/0';
  const ranked = [...standbys].sort((a, b) => compareLsn(position(b), position(a)));
  const best = ranked[0]!;
  if (!options.region) return best;
  const target = standbys.find((s) => s.region === options.region)!;
  const behind = lsnDiff(position(best), position(target));
  if (behind > (options.maxBehindBytes ?? 0) && !options.force) {
    throw new LabError(
      `${target.region} has received ${behind} bytes of WAL less than ${best.region}: promote ${best.region} instead, or --force to lose what only ${best.region} has`,
    );
  }
  return target;
}

/**
 * Stops the primary taking writes without stopping it: read-only by default, client sessions
 * ended. Returns its final WAL position: every acknowledged commit lies at or before it.
 */
async function fenceReadOnly(url: string): Promise<string> {
  const sql = connect(url, { max: 1 });
  try {
    await setDefaultReadOnly(sql, true);
    // Wait for each ended session to be gone: one that was committing flushes its commit first.
    await sql`SELECT pg_terminate_backend(pid, ${FENCE_TIMEOUT_MS}::bigint) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`;
    const [row] = await sql<{ lsn: string }[]>`SELECT pg_current_wal_flush_lsn()::text AS lsn`;
    return row!.lsn;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The switchover did not happen: the old primary is the primary, writable, again. */
async function liftFence(url: string): Promise<void> {
  const sql = connect(url, { max: 1 });
  try {
    await setDefaultReadOnly(sql, false);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * ALTER SYSTEM + reload, and wait until it holds: the postmaster passes a reload on to its
 * sessions once it has read the file itself, so when this session sees the value, every session
 * started from now on has it too.
 */
async function setDefaultReadOnly(sql: Sql, on: boolean): Promise<void> {
  await sql.unsafe(on ? `ALTER SYSTEM SET default_transaction_read_only = on` : `ALTER SYSTEM RESET default_transaction_read_only`);
  await sql`SELECT pg_reload_conf()`;
  const deadline = Date.now() + FENCE_TIMEOUT_MS;
  while ((await sql<{ on: boolean }[]>`SELECT current_setting('default_transaction_read_only')::bool AS on`)[0]!.on !== on) {
    if (Date.now() > deadline) throw new LabError(`default_transaction_read_only did not become ${on ? 'on' : 'off'} within ${FENCE_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

/**
 * Waits until the candidates have received the fenced primary's final position and returns the
 * first of them in region order that has: any of them holds every acknowledged write, and the
 * order keeps the choice stable. Once one has it, the others get a short grace rather than the
 * whole timeout (the old primary takes no writes meanwhile). Fails naming what each one received.
 */
async function firstToReceive(state: LabState, candidates: readonly ServerStatus[], lsn: string, timeoutMs: number): Promise<ServerStatus> {
  const standbys = candidates.map((s) => connect(postgresUrl(state, findRegion(state, s.region)), { max: 1, connectTimeoutSeconds: 2 }));
  const received: (string | null)[] = candidates.map(() => null);
  const has = (i: number) => compareLsn(received[i] ?? '0/0', lsn) >= 0;
  const deadline = Date.now() + timeoutMs;
  let graceEnds: number | undefined;
  try {
    for (;;) {
      await Promise.all(
        standbys.map(async (sql, i) => {
          if (has(i)) return;
          const [row] = await sql<{ lsn: string | null }[]>`SELECT pg_last_wal_receive_lsn()::text AS lsn`.catch(() => [{ lsn: received[i] ?? null }]);
          received[i] = row?.lsn ?? null;
        }),
      );
      const first = candidates.findIndex((_, i) => has(i));
      if (first >= 0) graceEnds ??= Date.now() + CATCH_UP_GRACE_MS;
      if (first >= 0 && (candidates.every((_, i) => has(i)) || Date.now() > graceEnds!)) return candidates[first]!;
      if (Date.now() > deadline) {
        throw new LabError(
          `no standby received the old primary's final WAL position ${lsn} within ${timeoutMs} ms ` +
            `(${candidates.map((s, i) => `${s.region} has ${received[i] ?? 'nothing'}`).join(', ')}): switching over would lose writes`,
        );
      }
      await sleep(20);
    }
  } finally {
    await Promise.all(standbys.map((sql) => sql.end({ timeout: 1 })));
  }
}

/** A running standby streams from another upstream after a reload (PostgreSQL 13+): no restart. */
async function repoint(state: LabState, standby: LabRegion, upstream: LabRegion): Promise<void> {
  const sql = connect(postgresUrl(state, standby), { max: 1 });
  try {
    await sql.unsafe(`ALTER SYSTEM SET primary_conninfo = '${primaryConninfo(upstream, standby)}'`);
    await sql.unsafe(`ALTER SYSTEM SET primary_slot_name = '${standbyName(standby.name)}'`);
    await sql`SELECT pg_reload_conf()`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function waitForFollowers(primary: Sql, names: readonly string[]): Promise<Set<string>> {
  const deadline = Date.now() + FOLLOW_TIMEOUT_MS;
  for (;;) {
    const rows = await primary<{ name: string }[]>`SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'`;
    const following = new Set(rows.map((r) => r.name).filter((n) => names.includes(n)));
    if (following.size === names.length || Date.now() > deadline) return following;
    await sleep(100);
  }
}
