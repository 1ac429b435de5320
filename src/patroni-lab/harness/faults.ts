import path from 'node:path';
import { connect } from '../../db/connect.js';
import type { EvaluationSample } from '../../drill/evaluation-load.js';
import type { WriteRecord } from '../../drill/write-stream.js';
import { getClusterFromAny } from '../../patroni/client.js';
import { drillGraph } from '../../drill/project.js';
import { call } from '../../drill/http.js';
import { leaderOf, syncStandbysOf } from '../../patroni/cluster.js';
import { run, switchover, type RunResult } from '../commands.js';
import { topologyFile } from '../files.js';
import { crashMember, leaderMemberOf, restartMember, type PatroniLab } from '../lab.js';
import { primaryRegionPlan, restUrlsOf, type RegionPlan } from '../plan.js';
import { waitForAllMembers } from '../wait.js';
import { nodeUrl, VERDICT_BIN } from './nodes.js';
import { endOfLongestWriteGap, evaluationErrors, firstAckAfter, followedAfter, nodesFollowedAt, patroniPromotedAt, longestWriteGap, newLeaderAt, slowestEvaluation, writeErrorsBetween, type Clock, type WindowErrors, type WriteWatch } from './observe.js';

/**
 * How long the front may take to notice a dead region (deploy/haproxy: 2 failed checks a second
 * apart with a 1 s check timeout, or 2 failed connections of live traffic) plus one retry: errors
 * in this window are shown, not counted as failures.
 */
export const DETECTION_MS = 5000;

export interface FaultResult {
  readonly name: string;
  readonly atMs: number;
  /** The longest time a write transaction through the region's HAProxy writer failed: the database's own gap. */
  readonly databaseGapMs: number;
  /** The longest time without an acknowledged write, from the fault until the region was whole again. */
  readonly writeGapMs: number;
  /** From the fault to the end of the longest write gap after it (a crash, a region loss): the write RTO; null for a switchover. */
  readonly writeRtoMs: number | null;
  /** The slowest evaluation through the front in the same window. */
  readonly slowestEvaluationMs: number;
  readonly evaluations: readonly WindowErrors[];
  /** What waiting writes were told meanwhile (each distinct error, with how many writes got it). */
  readonly writeErrors: Readonly<Record<string, number>>;
  /** Anything else measured (sync standby back after, lag before, promote's own time...). */
  readonly facts: Readonly<Record<string, string | number | null>>;
}

export interface FaultContext {
  readonly lab: PatroniLab;
  readonly clock: Clock;
  readonly writes: readonly WriteRecord[];
  readonly samples: readonly EvaluationSample[];
  readonly adminToken: string;
  readonly watches: ReadonlyMap<string, WriteWatch>;
  readonly log: (line: string) => void;
}

const REGION_NAMES = (ctx: FaultContext) => ctx.lab.plan.regions.map((r) => r.name);

function result(ctx: FaultContext, name: string, region: RegionPlan, at: number, rto: boolean, facts: FaultResult['facts']): FaultResult {
  const end = ctx.clock();
  const gapEnd = rto ? endOfLongestWriteGap(ctx.writes, at, end) : null;
  return {
    name,
    atMs: Math.round(at),
    databaseGapMs: ctx.watches.get(region.name)?.longestGapBetween(at, end) ?? 0,
    writeGapMs: longestWriteGap(ctx.writes, at, end),
    writeRtoMs: gapEnd === null ? null : Math.round(gapEnd - at),
    slowestEvaluationMs: slowestEvaluation(ctx.samples, at, end),
    evaluations: evaluationErrors(ctx.samples, REGION_NAMES(ctx), at, end, DETECTION_MS),
    writeErrors: writeErrorsBetween(ctx.writes, at, gapEnd ?? end),
    facts: { ...facts, databaseSaid: ctx.watches.get(region.name)?.reasonsBetween(at, end).join(' / ') ?? null },
  };
}

/** When the Verdict nodes (their logs) started writing to `leader`, against when Patroni promoted it (its log). */
function followed(ctx: FaultContext, region: RegionPlan, leader: string, wallAt: number): string {
  const plan = ctx.lab.plan;
  const member = region.members.find((m) => m.name === leader)!;
  const nodes = plan.regions.flatMap((r) => r.nodes).filter((n) => ctx.lab.processes.isRunning(n.name));
  return followedAfter(nodesFollowedAt(nodes.map((n) => path.join(plan.root, 'logs', `${n.name}.log`)), wallAt), patroniPromotedAt(member.logFile, wallAt), nodes.length);
}

/** Waits for the region's full strength (every member running, a synchronous standby); returns how long that took. */
async function fullStrength(ctx: FaultContext, region: RegionPlan, from: number): Promise<number> {
  await waitForAllMembers(region, { timeoutMs: 180_000 });
  return Math.round(ctx.clock() - from);
}

/** `patronictl switchover` from the leader to the synchronous standby (the only candidate Patroni 3.0.2 accepts in synchronous_mode). */
export async function switchoverFault(ctx: FaultContext): Promise<FaultResult> {
  const region = primaryRegionPlan(ctx.lab.plan);
  const { cluster } = await getClusterFromAny(restUrlsOf(region), { timeoutMs: 2000 });
  const leader = leaderOf(cluster)!;
  const candidate = syncStandbysOf(cluster)[0]!;
  ctx.log(`switchover in ${region.name}: ${leader.name} -> ${candidate.name}`);
  const member = region.members.find((m) => m.name === leader.name)!;
  const at = ctx.clock();
  const wallAt = Date.now();
  const pending = switchover(ctx.lab.plan, member, leader.name, candidate.name, ctx.lab.user);
  const newLeader = await newLeaderAt(region, leader.name, ctx.clock, 120_000);
  const outcome = await pending;
  // Measured at load ~25: patronictl printed "Successfully switched over" and then hung listing
  // the cluster until the 120 s timeout killed it. The switchover is what counts; the exit is reported.
  const switched = outcome.code === 0 || /Successfully switched over to/.test(outcome.stdout);
  if (!switched) throw new Error(`patronictl switchover exited ${outcome.code}: ${outcome.stdout}${outcome.stderr}`);
  await firstAckAfter(ctx.writes, newLeader.at, 120_000);
  const syncBack = await fullStrength(ctx, region, newLeader.at);
  return result(ctx, 'switchover', region, at, false, {
    from: leader.name,
    to: newLeader.name,
    newLeaderAfterMs: Math.round(newLeader.at - at),
    ...(outcome.code === 0 ? {} : { patronictlExit: `${outcome.code} after reporting the switchover` }),
    nodesWroteToIt: followed(ctx, region, newLeader.name, wallAt),
    syncStandbyBackAfterMs: syncBack,
  });
}

/** `kill -9` of the leader's Patroni and PostgreSQL (every backend); the member is started again once a new leader runs. */
export async function leaderCrashFault(ctx: FaultContext): Promise<FaultResult> {
  const region = primaryRegionPlan(ctx.lab.plan);
  const leader = await leaderMemberOf(region);
  ctx.log(`kill -9 of ${region.name}'s leader ${leader.name} (Patroni and PostgreSQL)`);
  const at = ctx.clock();
  const wallAt = Date.now();
  crashMember(ctx.lab, leader);
  // What a node says while there is no leader, a few seconds in.
  const reported = probeWithoutLeader(ctx, region, 3000);
  const newLeader = await newLeaderAt(region, leader.name, ctx.clock, 180_000);
  const verdictWrote = await firstAckAfter(ctx.writes, newLeader.at, 120_000);
  restartMember(ctx.lab, leader);
  const rejoined = await fullStrength(ctx, region, ctx.clock());
  return result(ctx, `leader crash (ttl ${ctx.lab.plan.timings.ttl})`, region, at, true, {
    crashed: leader.name,
    newLeader: newLeader.name,
    newLeaderAfterMs: Math.round(newLeader.at - at),
    nodesWroteToIt: followed(ctx, region, newLeader.name, wallAt),
    harnessWroteAfterNewLeaderMs: Math.round(verdictWrote - newLeader.at),
    crashedMemberBackAfterMs: rejoined,
    ...(await reported),
  });
}

/**
 * What Verdict says while the region has no leader, `afterMs` into it: a node's readiness and
 * writer (GET /health with the admin token), and what one write gets (a save, with a 20 s timeout).
 */
async function probeWithoutLeader(ctx: FaultContext, region: RegionPlan, afterMs: number): Promise<Record<string, string>> {
  await new Promise((r) => setTimeout(r, afterMs));
  const node = region.nodes[0]!;
  const auth = { authorization: `Bearer ${ctx.adminToken}` };
  const health = await call(`${nodeUrl(node)}/health`, { headers: auth, timeoutMs: 5000 });
  const body = health.body as { status?: string; database?: { writer?: unknown } } | undefined;
  const write = await call(`${nodeUrl(node)}/api/projects/pl/decisions/scratch`, { method: 'PUT', headers: auth, body: { content: drillGraph('no-leader-probe') }, timeoutMs: 20_000 });
  const problem = write.body as { title?: string; detail?: string } | undefined;
  return {
    nodeHealthWithoutLeader: `${health.status ?? health.error} ${body?.status ?? ''}, writer ${JSON.stringify(body?.database?.writer ?? null).slice(0, 200)}`,
    writeWithoutLeader: write.ok ? `accepted after ${Math.round(write.ms)} ms` : `${write.status ?? write.error} after ${Math.round(write.ms)} ms: ${problem?.detail ?? problem?.title ?? ''}`.slice(0, 300),
  };
}

/** Bytes and milliseconds region B's standby leader is behind region A's leader (pg_stat_replication there). */
async function crossRegionLag(ctx: FaultContext, source: RegionPlan, standby: RegionPlan): Promise<{ bytes: number; ms: number }> {
  const sql = connect(`postgres://postgres:${encodeURIComponent(ctx.lab.plan.secrets.superuser)}@${source.haproxy.host}:${source.haproxy.writerPort}/verdict`, { max: 1, connectTimeoutSeconds: 2 });
  try {
    const names = standby.members.map((m) => m.name);
    const [row] = await sql<{ bytes: string | null; ms: number | null }[]>`
      SELECT greatest(0, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn))::text AS bytes,
             (extract(epoch FROM coalesce(replay_lag, '0'::interval)) * 1000)::float8 AS ms
        FROM pg_stat_replication WHERE application_name = ANY(${names}::text[]) ORDER BY replay_lsn DESC NULLS LAST LIMIT 1`;
    return { bytes: Number(row?.bytes ?? 0), ms: Math.round(row?.ms ?? 0) };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Runs `verdict <args>` (ours, not the lab user's) to completion, with `env`; killed after 5 minutes. */
export const verdictCli = (args: readonly string[], env: Record<string, string>): Promise<RunResult> => run(process.execPath, [VERDICT_BIN, ...args], { env, timeoutMs: 300_000 });

/**
 * The loss of region A: every member (Patroni and PostgreSQL) killed, its HAProxy and its Verdict
 * nodes too; then `verdict dr promote --topology <lab> --confirm-old-primary-lost`, which has
 * Patroni promote region B's standby cluster and raises the generation. Clients of region A keep
 * going through the front, which sends them to region B's nodes.
 */
export async function regionLossFault(ctx: FaultContext): Promise<FaultResult & { readonly lag: { bytes: number; ms: number } }> {
  const { plan } = ctx.lab;
  const lost = primaryRegionPlan(plan);
  const survivor = plan.regions.find((r) => r !== lost)!;
  const lag = await crossRegionLag(ctx, lost, survivor);
  ctx.log(`loss of ${lost.name} (lag of ${survivor.name} before it: ${lag.bytes} bytes, ${lag.ms} ms)`);
  const at = ctx.clock();
  const wallAt = Date.now();
  for (const member of lost.members) crashMember(ctx.lab, member);
  ctx.lab.processes.kill(lost.haproxy.name);
  for (const node of lost.nodes) ctx.lab.processes.kill(node.name);
  ctx.log(`verdict dr promote --topology ${topologyFile(plan.root)} --confirm-old-primary-lost`);
  const promoteStarted = ctx.clock();
  const promoted = await verdictCli(['dr', 'promote', '--topology', topologyFile(plan.root), '--confirm-old-primary-lost', '--json'], {
    PGPASSWORD: plan.secrets.superuser,
    VERDICT_PATRONI_AUTH: `patroni:${plan.secrets.restApi}`,
    VERDICT_TOKEN: ctx.adminToken,
  });
  if (promoted.code !== 0) throw new Error(`verdict dr promote exited ${promoted.code}: ${promoted.stderr.trim()}`);
  const promoteCommandMs = Math.round(ctx.clock() - promoteStarted);
  const report = JSON.parse(promoted.stdout) as { generation: number; leader: string; timeline: number | null; totalMs: number };
  await firstAckAfter(ctx.writes, at, 120_000);
  const status = await verdictCli(['dr', 'status', '--topology', topologyFile(plan.root)], { PGPASSWORD: plan.secrets.superuser, VERDICT_TOKEN: ctx.adminToken });
  ctx.log(`verdict dr status after the promotion (exit ${status.code}):\n${status.stdout}${status.stderr}`);
  return {
    ...result(ctx, `loss of ${lost.name}, promotion of ${survivor.name}`, survivor, at, true, {
      promoteCommandMs,
      promoteReportedMs: report.totalMs,
      newLeader: report.leader,
      nodesWroteToIt: followed(ctx, survivor, report.leader, wallAt),
      timeline: report.timeline,
      generation: report.generation,
      lagBytesBefore: lag.bytes,
      lagMsBefore: lag.ms,
    }),
    lag,
  };
}
