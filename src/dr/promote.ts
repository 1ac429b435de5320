import { connect } from '../db/connect.js';
import { compareLsn, lsnDiff } from '../db/database.js';
import { bumpGeneration } from '../db/generation.js';
import { setReplicationMode, ensureSlot, synchronousStandbyNames, type ReplicationReport } from '../pg-admin/replication.js';
import { localCluster } from '../topology/local.js';
import { endpointsOf, regionOf } from '../topology/model.js';
import type { DrTarget } from '../topology/target.js';
import { DrError } from './errors.js';
import { fenceReadOnly, firstToReceive, liftFence } from './fence.js';
import { repoint, waitForFollowers } from './followers.js';
import { primaryRegion, replicationToRestore } from './primary.js';
import { rejoin } from './rejoin.js';
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

/** How long standbys of a fenced primary may take to receive its last WAL. */
const CATCH_UP_TIMEOUT_MS = 30_000;

/**
 * Fenced promotion of a standby region of the topology: fences the old primary (read-only, then a standby
 * that received its last WAL is the target, then it is stopped) or takes the operator's word that
 * it is lost and picks the most advanced standby; prepares the target while it
 * is still a standby (replication settings, slots) and re-points the other standbys at it, so
 * they follow its new timeline the moment it is promoted; pg_promote; makes sure commits cannot
 * block on a standby that does not follow; bumps the cluster generation, which fences the old
 * primary in every Verdict node that sees it.
 */
export async function promote(target: DrTarget, options: PromoteOptions = {}): Promise<PromoteReport> {
  const { topology } = target;
  const timeline = new Timeline(options.progress);
  const status = await timeline.step('inspect every server', () => drStatus(endpointsOf(topology), undefined));
  if (status.splitBrain.length > 0) {
    throw new DrError(`several servers are writable with the same cluster generation (${status.splitBrain.join(', ')}): resolve the split brain before promoting`);
  }
  if (status.primary !== null && status.fenced.length > 0) {
    throw new DrError(
      `${status.fenced.join(', ')} is writable with a cluster generation older than ${status.primary}'s (an old primary that came back): ` +
        `make it a standby first with verdict dr rejoin --region ${status.fenced[0]}`,
    );
  }
  const oldPrimary = primaryRegion(topology, status);
  const oldPrimaryServer = status.servers.find((s) => s.region === oldPrimary.name)!;
  const replication = replicationToRestore(topology, status);
  const standbys = status.servers.filter((s) => s.role === 'standby');
  if (standbys.length === 0) throw new DrError('no standby can be reached: nothing to promote');
  if (options.region !== undefined) {
    regionOf(topology, options.region);
    if (options.region === oldPrimary.name) throw new DrError(`${options.region} already holds the primary`);
    if (!standbys.some((s) => s.region === options.region)) throw new DrError(`${options.region} is not a reachable standby`);
  }

  const reachable = oldPrimaryServer.role === 'primary';
  if (!reachable && !options.confirmOldPrimaryLost) {
    throw new DrError(
      `the primary in ${oldPrimary.name} cannot be reached (${oldPrimaryServer.error ?? oldPrimaryServer.role}). If it is lost, not merely cut off from here, ` +
        'repeat with --confirm-old-primary-lost: a primary that is only partitioned keeps taking writes from whoever still reaches it',
    );
  }

  // Planned switchover: nothing written on the old primary may be lost. Positions of standbys of a
  // live primary differ by whatever it wrote between two probes (heartbeats alone do), so they are
  // compared only once it is fenced: the target is a standby that received its final position.
  let chosen: ServerStatus;
  let fence: PromoteReport['oldPrimaryFence'] = 'confirmed lost by the operator';
  if (reachable) {
    const candidates = standbys.filter((s) => s.streaming && (options.region === undefined || s.region === options.region));
    if (candidates.length === 0) {
      throw new DrError(
        `${options.region ? `${options.region} does not` : 'no standby does'} stream from ${oldPrimary.name} now, so nothing could receive everything it wrote: ` +
          'a switchover needs a streaming standby (see verdict dr status)',
      );
    }
    // Checked before the fence goes up: a switchover ends by stopping the old primary.
    const oldCluster = localCluster(topology, oldPrimary, `a switchover (it stops the old primary in ${oldPrimary.name} once a standby has its last WAL)`);
    const oldPrimaryUrl = oldPrimary.postgres.url;
    try {
      const finalLsn = await timeline.step(`fence the old primary in ${oldPrimary.name} (read-only, sessions ended)`, () => fenceReadOnly(oldPrimaryUrl));
      chosen = await timeline.step(`wait until ${candidates.map((s) => s.region).join(' or ')} has received everything up to ${finalLsn}`, () =>
        firstToReceive(topology, candidates, finalLsn, options.catchUpTimeoutMs ?? CATCH_UP_TIMEOUT_MS),
      );
    } catch (error) {
      const lifted = await timeline.attempt(`lift the fence: ${oldPrimary.name} takes writes again`, () => liftFence(oldPrimaryUrl).then(() => true as const, (e: Error) => e.message));
      if (lifted !== true) {
        throw new DrError(`${(error as Error).message}; lifting the fence failed too (${lifted}): run ALTER SYSTEM RESET default_transaction_read_only on ${oldPrimary.name}`);
      }
      throw error;
    }
    await timeline.step(`stop PostgreSQL in ${oldPrimary.name}`, () => oldCluster.stop('fast'));
    fence = 'stopped after handing over its WAL';
  } else {
    chosen = pickTarget(standbys, options);
  }
  if (chosen.region === oldPrimary.name) throw new DrError(`${chosen.region} already holds the primary`);
  const targetRegion = regionOf(topology, chosen.region);

  const others = topology.regions.filter((r) => r.name !== targetRegion.name && r.name !== oldPrimary.name);
  const followers = others.filter((r) => standbys.some((s) => s.region === r.name));
  const names = (regions: readonly { postgres: { standbyName: string } }[]) => regions.map((r) => r.postgres.standbyName);
  const targetSql = connect(targetRegion.postgres.url, { max: 1 });
  try {
    await timeline.step(`prepare ${chosen.region}: replication settings and slots for ${followers.map((r) => r.name).join(', ') || 'no other standby'}`, async () => {
      // While it is a standby nothing is committed on it: the settings take effect at promotion.
      await targetSql.unsafe(`ALTER SYSTEM SET synchronous_standby_names = '${synchronousStandbyNames(replication, names(followers))}'`);
      await targetSql`SELECT pg_reload_conf()`;
      for (const region of followers) await ensureSlot(targetSql, region.postgres.standbyName);
    });
    await timeline.step(`re-point ${followers.map((r) => r.name).join(', ') || 'no standby'} at ${chosen.region}`, async () => {
      for (const region of followers) await repoint(region, targetRegion);
    });
    await timeline.step(`pg_promote ${chosen.region}`, async () => {
      const [row] = await targetSql<{ promoted: boolean }[]>`SELECT pg_promote(wait => true, wait_seconds => 60) AS promoted`;
      if (!row?.promoted) throw new DrError(`pg_promote on ${chosen.region} did not finish within 60 s; see ${targetRegion.postgres.local?.logFile ?? 'its server log'}`);
    });
  } finally {
    await targetSql.end({ timeout: 1 });
  }

  // A standby that had received more than the target cannot follow its timeline: rebuild it.
  const outcomes: { region: string; outcome: 'following' | 'rebuilt' | 'unreachable' | 'failed'; detail?: string }[] = [];
  const newPrimarySql = connect(targetRegion.postgres.url, { max: 1 });
  try {
    const following = await timeline.step('wait for the standbys to follow the new timeline', () => waitForFollowers(newPrimarySql, names(followers)));
    target.owner?.primaryMoved(targetRegion.name);
    for (const region of others) {
      if (!followers.includes(region)) outcomes.push({ region: region.name, outcome: 'unreachable' });
      else if (following.has(region.postgres.standbyName)) outcomes.push({ region: region.name, outcome: 'following' });
      else {
        try {
          await timeline.step(`rebuild ${region.name} as a standby of ${chosen.region} (it could not follow)`, () =>
            rejoin(target, region.name, { restartNodes: false, primary: targetRegion.name, replication }),
          );
          outcomes.push({ region: region.name, outcome: 'rebuilt' });
        } catch (error) {
          outcomes.push({ region: region.name, outcome: 'failed', detail: (error as Error).message });
        }
      }
    }
    // Only standbys that follow can confirm commits: naming one that does not (its rebuild failed)
    // would make every commit wait for it; with none, the new primary runs async until rejoin.
    const confirming = names(outcomes.filter((o) => o.outcome === 'following' || o.outcome === 'rebuilt').map((o) => regionOf(topology, o.region)));
    const applied = await timeline.step(`${replication.mode} replication on ${chosen.region}`, () => setReplicationMode(newPrimarySql, replication, confirming));
    const generation = await timeline.step('bump the cluster generation (fences the old primary in every node)', () =>
      bumpGeneration(newPrimarySql, 'verdict dr promote', `${chosen.region} promoted; ${oldPrimary.name} ${reachable ? 'stopped' : 'lost'}`),
    );
    const [tl] = await newPrimarySql<{ tli: number }[]>`SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`;
    return {
      promoted: chosen.region,
      oldPrimary: oldPrimary.name,
      oldPrimaryFence: fence,
      generation,
      timeline: tl?.tli ?? null,
      standbys: outcomes,
      replication: applied,
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
    throw new DrError(
      `${target.region} has received ${behind} bytes of WAL less than ${best.region}: promote ${best.region} instead, or --force to lose what only ${best.region} has`,
    );
  }
  return target;
}
