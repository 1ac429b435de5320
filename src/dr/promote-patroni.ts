import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../db/connect.js';
import { getClusterFromAny, isPrimary, patchConfig, type PatroniAuth } from '../patroni/client.js';
import { leaderOf, type PatroniCluster } from '../patroni/cluster.js';
import type { TopologyRegion } from '../topology/model.js';
import type { DrTarget } from '../topology/target.js';
import { DrError } from './errors.js';
import { generationsSeenByNodes, raiseGeneration, waitForWritable, type GenerationSighting } from './generation-floor.js';
import { Timeline, type TimelineStep } from './timeline.js';

export interface PatroniPromoteOptions {
  /** The standby cluster's region to promote; default: the one region running a standby cluster. */
  readonly region?: string;
  /** The primary region cannot be reached and the operator confirms it is lost, not just cut off. */
  readonly confirmOldPrimaryLost?: boolean;
  /** Turn synchronous_mode on in the promoted cluster (default true: in-region sync, as the old primary region ran). */
  readonly synchronousMode?: boolean;
  /** `user:password` of Patroni's REST API (restapi.authentication), for PATCH /config. */
  readonly auth?: PatroniAuth;
  /** Nodes that are down may remember a generation: the new one is made higher than this too. */
  readonly generationAbove?: number;
  /** How long Patroni may take to promote its standby leader (default 120 s). */
  readonly timeoutMs?: number;
  readonly progress?: (step: string) => void;
}

export interface PatroniPromoteReport {
  readonly promoted: string;
  readonly oldPrimary: string;
  readonly oldPrimaryState: 'lost, confirmed by the operator' | 'no leader, confirmed lost by the operator';
  /** The Patroni member that leads the promoted region now. */
  readonly leader: string;
  readonly timeline: number | null;
  readonly generation: number;
  /** What each node had seen: the generation was raised above all of them. */
  readonly nodesSeen: readonly GenerationSighting[];
  readonly steps: readonly TimelineStep[];
  readonly totalMs: number;
}

interface RegionView {
  readonly region: TopologyRegion;
  readonly cluster?: PatroniCluster;
  readonly error?: string;
}

const PROMOTE_TIMEOUT_MS = 120_000;

/**
 * Cross-region promotion on Patroni: the region runs a standby cluster (`standby_cluster` in its
 * dynamic configuration); removing that key makes Patroni promote its standby leader itself, so
 * nothing calls pg_promote behind Patroni's back and its members follow the new timeline. Then
 * the cluster generation is raised above every one a node has seen, which fences the old region
 * in every Verdict node that can still reach it. In-region failover is Patroni's alone.
 *
 * Refused while the old primary region still has a leader running as primary: that is a planned
 * switchover, which first makes that region a standby cluster (docs/production.md).
 */
export async function promotePatroni(target: DrTarget, options: PatroniPromoteOptions = {}): Promise<PatroniPromoteReport> {
  const { topology } = target;
  const timeline = new Timeline(options.progress);
  const patroniRegions = topology.regions.filter((r) => r.patroni);
  const views = await timeline.step("ask every region's Patroni for its cluster", () =>
    Promise.all(
      patroniRegions.map(async (region): Promise<RegionView> => {
        try {
          return { region, cluster: (await getClusterFromAny(region.patroni!.restUrls, { timeoutMs: 2000 })).cluster };
        } catch (error) {
          return { region, error: (error as Error).message };
        }
      }),
    ),
  );
  const roleOf = (v: RegionView) => (v.cluster ? leaderOf(v.cluster)?.role : undefined);
  const standbyClusters = views.filter((v) => roleOf(v) === 'standby_leader');
  const chosen = pickStandbyCluster(views, standbyClusters, options.region);
  const primaries = views.filter((v) => roleOf(v) === 'leader');
  if (primaries.length > 0) {
    const p = primaries[0]!;
    throw new DrError(
      `${p.region.name}'s Patroni cluster still has a leader (${leaderOf(p.cluster!)!.name}) running as primary: promoting ${chosen.region.name} now would make two primaries. ` +
        `For a planned move make ${p.region.name} a standby cluster first (docs/production.md, "planned move"); if it is lost, stop its members first`,
    );
  }
  const old = views.find((v) => v !== chosen && v.region.name === (topology.primary ?? v.region.name)) ?? views.find((v) => v !== chosen);
  if (!old) throw new DrError('the topology names no other Patroni region: nothing to promote away from');
  if (!options.confirmOldPrimaryLost) {
    throw new DrError(
      `the primary region ${old.region.name} ${old.error ? `cannot be reached (${old.error})` : 'has no leader'}. If it is lost, not merely cut off from here, ` +
        'repeat with --confirm-old-primary-lost: a region that is only partitioned keeps its leader and its writes',
    );
  }

  const restUrls = chosen.region.patroni!.restUrls;
  await timeline.step(`remove standby_cluster from ${chosen.region.name}'s Patroni configuration (Patroni promotes its standby leader)`, async () => {
    const changes = { standby_cluster: null, ...((options.synchronousMode ?? true) ? { synchronous_mode: true } : {}) };
    const reasons: string[] = [];
    for (const url of restUrls) {
      try {
        await patchConfig(url, changes, options.auth, { timeoutMs: 5000 });
        return;
      } catch (error) {
        reasons.push((error as Error).message);
        if (/answered 40[13]/.test((error as Error).message)) break; // the same credentials fail everywhere
      }
    }
    throw new DrError(`no member of ${chosen.region.name} took the change: ${reasons.join('; ')}`);
  });
  const timeoutMs = options.timeoutMs ?? PROMOTE_TIMEOUT_MS;
  await timeline.step(`wait for a member of ${chosen.region.name} to run as primary (Patroni's /primary)`, () => waitForPatroniPrimary(restUrls, timeoutMs));
  await timeline.step(`wait for ${chosen.region.name}'s server to take writes`, () => waitForWritable(chosen.region.postgres.url, timeoutMs));
  const nodesSeen = await timeline.step('ask the nodes which generation they have seen', () => generationsSeenByNodes(topology, target.adminToken));
  const floor = Math.max(options.generationAbove ?? 0, ...nodesSeen.map((s) => s.generation ?? 0));
  const generation = await timeline.step('raise the cluster generation (fences the old region in every node)', () =>
    raiseGeneration(chosen.region.postgres.url, floor, 'verdict dr promote', `${chosen.region.name} promoted by Patroni; ${old.region.name} confirmed lost`),
  );
  const { cluster } = await getClusterFromAny(restUrls, { timeoutMs: 2000 });
  const leader = leaderOf(cluster);
  // Patroni's /cluster shows the new timeline only after its next loop; PostgreSQL knows it now.
  const sql = connect(chosen.region.postgres.url, { max: 1 });
  const tli = await sql<{ tli: number }[]>`SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`
    .then((rows) => rows[0]?.tli ?? null, () => leader?.timeline ?? null)
    .finally(() => sql.end({ timeout: 1 }));
  return {
    promoted: chosen.region.name,
    oldPrimary: old.region.name,
    oldPrimaryState: old.error ? 'lost, confirmed by the operator' : 'no leader, confirmed lost by the operator',
    leader: leader?.name ?? '(none)',
    timeline: tli,
    generation,
    nodesSeen,
    steps: timeline.steps,
    totalMs: timeline.elapsedMs,
  };
}

function pickStandbyCluster(views: readonly RegionView[], standbyClusters: readonly RegionView[], name: string | undefined): RegionView {
  if (name !== undefined) {
    const view = views.find((v) => v.region.name === name);
    if (!view) throw new DrError(`${name} is not a Patroni region of the topology (regions with patroni.restUrls: ${views.map((v) => v.region.name).join(', ') || 'none'})`);
    if (!standbyClusters.includes(view)) {
      const why = view.error ?? (view.cluster && leaderOf(view.cluster) ? `its leader is a ${leaderOf(view.cluster)!.role}` : 'it has no leader');
      throw new DrError(`${name} does not run a standby cluster with a standby leader (${why}): nothing for Patroni to promote there`);
    }
    return view;
  }
  if (standbyClusters.length === 1) return standbyClusters[0]!;
  if (standbyClusters.length === 0) throw new DrError('no region runs a Patroni standby cluster with a standby leader now (see verdict dr status)');
  throw new DrError(`several regions run standby clusters (${standbyClusters.map((v) => v.region.name).join(', ')}): name one with --region`);
}

async function waitForPatroniPrimary(restUrls: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = await Promise.all(restUrls.map((url) => isPrimary(url, { timeoutMs: 1000 }).catch(() => false)));
    if (answers.some(Boolean)) return;
    if (Date.now() > deadline) throw new DrError(`no member answered 200 on /primary within ${Math.round(timeoutMs / 1000)} s: see the members' Patroni logs`);
    await sleep(250);
  }
}
