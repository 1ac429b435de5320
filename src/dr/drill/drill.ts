import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDown, labKill, labStatus, labUp } from '../../lab/lab.js';
import { LabError, drRegions, findRegion, nodeUrl, postgresUrl, readLabState, type LabState, type Topology } from '../../lab/state.js';
import { drStatus } from '../status.js';
import { changeReplication } from '../change-replication.js';
import type { PromoteOptions, PromoteReport } from '../promote.js';
import { Worker } from 'node:worker_threads';
import type { ReplicationSetting } from '../replication.js';
import { checkWrites, type WriteCheck } from './check.js';
import { EvaluationLoad, type EvaluationSample } from './evaluation-load.js';
import { call } from './http.js';
import { createDrillProject } from './project.js';
import { WriteStream, type WriteRecord } from './write-stream.js';

export interface DrillOptions {
  /** An existing lab; without it the drill builds one in a temporary folder and removes it afterwards. */
  readonly dir?: string;
  readonly regions: number;
  readonly nodesPerRegion: number;
  readonly topology: Topology;
  /** Set on the lab before the drill (default: sync for a lab the drill builds, the lab's own mode otherwise). */
  readonly replication?: ReplicationSetting;
  readonly durationS: number;
  /** Evaluation loops per region. */
  readonly concurrency: number;
  readonly writesPerSecond: number;
  readonly durable?: boolean;
  readonly progress?: (step: string) => void;
}

export interface RegionEvaluations {
  readonly region: string;
  readonly killed: boolean;
  readonly requests: number;
  readonly errors: number;
  readonly errorsAfterKill: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface SeriesPoint {
  readonly second: number;
  readonly region: string;
  readonly ok: number;
  readonly errors: number;
}

export interface DrillCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillReport {
  readonly startedAt: string;
  readonly lab: { readonly dir: string; readonly builtForTheDrill: boolean };
  readonly config: {
    readonly regions: number;
    readonly nodesPerRegion: number;
    readonly topology: Topology;
    readonly replication: ReplicationSetting;
    readonly durationS: number;
    readonly concurrency: number;
    readonly writesPerSecond: number;
  };
  /** The kill began at startedAtMs; at atMs the region's server and nodes were gone. */
  readonly kill: { readonly region: string; readonly startedAtMs: number; readonly atMs: number };
  readonly promotion: PromoteReport & { readonly startedAtMs: number; readonly finishedAtMs: number };
  readonly writes: WriteCheck & {
    readonly attempted: number;
    /** Kill to the first write acknowledged afterwards (necessarily by the new primary). */
    readonly rtoMs: number | null;
    readonly longestGapMs: number;
  };
  readonly evaluations: readonly RegionEvaluations[];
  /** active-passive: kill to the first good evaluation through the front afterwards. */
  readonly evaluationDowntimeMs: number | null;
  /** After recovery: a deploy on the new primary until every surviving node serves it. */
  readonly propagation: { readonly ms: number | null; readonly nodes: number };
  readonly series: readonly SeriesPoint[];
  readonly writeSeries: readonly { readonly second: number; readonly acknowledged: number }[];
  readonly checks: readonly DrillCheck[];
  readonly passed: boolean;
}

/**
 * The DR drill: evaluation load on every region and a stream of acknowledged deploys, then the
 * primary region is killed and the most advanced standby promoted while the load goes on; a
 * checker then compares what was acknowledged with what the surviving primary holds.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const progress = options.progress ?? (() => undefined);
  const built = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'verdict-drill-'));
  if (built) chmodSync(dir, 0o755); // the postgres OS user must reach the data directories
  try {
    let state: LabState;
    if (built) {
      progress(`building a ${options.regions}-region lab (${options.replication?.mode ?? 'sync'} replication)`);
      ({ state } = await labUp({
        dir,
        regions: options.regions,
        nodesPerRegion: options.nodesPerRegion,
        replication: options.replication ?? { mode: 'sync', standbys: 1 },
        topology: options.topology,
        durable: options.durable ?? true,
        progress: (s) => progress(`  ${s}`),
      }));
    } else {
      progress('checking that the lab is whole');
      state = await wholeLab(dir);
      if (options.replication) {
        progress(`setting ${options.replication.mode} replication on the lab`);
        await changeReplication(dir, options.replication);
        state = readLabState(dir);
      }
    }
    if (state.regions.length < 2) throw new LabError('a drill needs at least two regions: one to lose, one to promote');
    return await drill(state, options, built, progress);
  } finally {
    if (built) {
      progress('tearing the lab down');
      await labDown(dir, { purge: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * A drill on an existing lab needs every region up and one primary with every other region
 * streaming from it: a region still down from the last drill, or an old primary started again
 * but not rejoined, would make the figures meaningless. Says how to repair it.
 */
async function wholeLab(dir: string): Promise<LabState> {
  const { state, processes } = await labStatus(dir);
  const down = processes.filter((p) => !p.running || p.ready === false);
  if (down.length > 0) {
    const regions = [...new Set(down.map((p) => p.region))];
    const repair = regions.includes(state.primaryRegion)
      ? `the primary region is down: promote another (verdict dr promote --confirm-old-primary-lost), then verdict dr rejoin --region ${state.primaryRegion}`
      : `verdict dr rejoin --region ${regions[0]} brings it back as a standby of ${state.primaryRegion}`;
    throw new LabError(`the lab is not whole (${down.map((p) => `${p.region} ${p.what} ${p.running ? 'not ready' : 'stopped'}`).join(', ')}): ${repair}`);
  }
  const status = await drStatus(drRegions(state), undefined);
  const stray = status.servers.filter((s) => s.role === 'primary' && s.region !== state.primaryRegion);
  if (stray.length > 0) {
    throw new LabError(`${stray.map((s) => s.region).join(', ')} runs as a primary besides ${state.primaryRegion}: make it a standby first with verdict dr rejoin --region ${stray[0]!.region}`);
  }
  const notStreaming = status.servers.filter((s) => s.region !== state.primaryRegion && (s.role !== 'standby' || !s.streaming));
  if (notStreaming.length > 0) {
    throw new LabError(`${notStreaming.map((s) => `${s.region} (${s.role}${s.error ? `: ${s.error}` : ', not streaming'})`).join(', ')} does not stream from ${state.primaryRegion}: see verdict dr status`);
  }
  return state;
}

async function drill(state: LabState, options: DrillOptions, built: boolean, progress: (step: string) => void): Promise<DrillReport> {
  const topology = options.topology;
  const primaryRegion = state.primaryRegion;
  const project = `drill-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  const admin = { authorization: `Bearer ${state.adminToken}` };
  progress(`setting up project ${project}: three releases, environment prod, an evaluation token`);
  const { evalPath, deployPath, token } = await createDrillProject(nodeUrl(findRegion(state, primaryRegion).nodes[0]!), state.adminToken, project, ['one', 'two', 'three']);
  const allNodes = state.regions.flatMap((r) => r.nodes.map(nodeUrl));
  progress('waiting for every node to serve the first release');
  await servedEverywhere(allNodes, evalPath, token, 'one', 60_000);

  const startedAtIso = new Date().toISOString();
  const startedAt = performance.now();
  const since = () => performance.now() - startedAt;
  let front = primaryRegion; // active-passive: the region that takes traffic
  let killed: string | undefined;
  const load = new EvaluationLoad(
    state.regions.map((r) => ({ name: r.name, nodeUrls: r.nodes.map(nodeUrl) })),
    {
      path: evalPath,
      token,
      concurrency: options.concurrency,
      startedAt,
      isActive: (region) => topology === 'active-active' || region === front,
      isExpected: (result) => ['one', 'two', 'three'].includes((result as { v?: string } | undefined)?.v ?? ''),
    },
  );
  // Primary region first, as a client configured with every node would try them.
  const writerNodes = [primaryRegion, ...state.regions.map((r) => r.name).filter((n) => n !== primaryRegion)].flatMap((n) => findRegion(state, n).nodes.map(nodeUrl));
  const writes = new WriteStream(() => writerNodes, {
    path: deployPath,
    adminToken: state.adminToken,
    releases: ['one', 'two'],
    perSecond: options.writesPerSecond,
    startedAt,
  });
  const durationMs = options.durationS * 1000;
  progress(`load running: ${options.concurrency} evaluation loop(s) per ${topology === 'active-active' ? 'region' : 'active region'}, ${options.writesPerSecond} deploys/s`);
  load.start();
  writes.start();
  let promotion: DrillReport['promotion'];
  let killAtMs: number;
  let killStartedAtMs: number;
  let promoter: ReadyPromotion | undefined;
  try {
    // Started (its modules loaded) before the kill, as an operator's shell would be ready.
    promoter = await promotionThread(state.dir, { confirmOldPrimaryLost: true });
    await sleep(Math.max(2000, durationMs * 0.3) - since());
    progress(`killing ${primaryRegion} (PostgreSQL primary and its nodes, immediately)`);
    killed = primaryRegion;
    killStartedAtMs = since();
    await labKill(state.dir, primaryRegion);
    killAtMs = since(); // from here on no answer can come from the killed region
    progress('promoting the most advanced standby');
    const promoteStart = since();
    const report = await promoter.go();
    promotion = { ...report, startedAtMs: promoteStart, finishedAtMs: since() };
    front = report.promoted;
    progress(`${report.promoted} promoted in ${report.totalMs} ms; load goes on`);
    const left = durationMs - since();
    if (left > 0) await sleep(left);
    // The load goes on until writes and evaluations have come back (on a busy machine that can
    // take longer than the planned duration), so the report measures recovery, not the clock.
    progress('waiting until writes and evaluations have recovered');
    await waitForRecovery(() => ({ writes: writes.log, samples: load.samples }), killAtMs, RECOVERY_TIMEOUT_MS);
  } finally {
    await promoter?.cancel();
    await Promise.allSettled([writes.stop(), load.stop()]);
  }

  progress('measuring propagation: deploy on the new primary until every surviving node serves it');
  const survivors = state.regions.filter((r) => r.name !== killed).flatMap((r) => r.nodes.map(nodeUrl));
  const deployUrl = nodeUrl(findRegion(state, promotion.promoted).nodes[0]!);
  const deployed = await call(`${deployUrl}${deployPath}`, { method: 'POST', headers: admin, body: { release: 'three' }, timeoutMs: 30_000 });
  const deployedAt = performance.now();
  const propagationMs = deployed.ok ? await servedEverywhere(survivors, evalPath, token, 'three', 30_000).then(() => performance.now() - deployedAt, () => null) : null;

  progress('checking every acknowledged write against the new primary');
  const newPrimary = readLabState(state.dir);
  const check = await checkWrites(postgresUrl(newPrimary, findRegion(newPrimary, promotion.promoted)), writes.log);

  return summarize({
    startedAtIso, state, options, built, killAtMs, killStartedAtMs, killedRegion: primaryRegion, promotion, check, writes: writes.log, samples: load.samples,
    propagationMs, survivors: survivors.length,
  });
}

const RECOVERY_TIMEOUT_MS = 60_000;

/**
 * Resolves once a write was acknowledged and an evaluation answered well after `killAtMs`, or
 * after `timeoutMs` (the report then shows what did not recover).
 */
async function waitForRecovery(
  observed: () => { writes: readonly { readonly startedAt: number; readonly ackAt: number | null }[]; samples: readonly { readonly t: number; readonly ok: boolean }[] },
  killAtMs: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { writes, samples } = observed();
    const wrote = writes.some((w) => w.startedAt > killAtMs && w.ackAt !== null);
    const evaluated = samples.some((s) => s.t > killAtMs && s.ok);
    if (wrote && evaluated) return;
    await sleep(50);
  }
}

/** The compiled worker (dist/), also when this module runs from src/ under the test runner. */
const PROMOTE_WORKER = new URL('../../../dist/dr/drill/promote-worker.js', import.meta.url);

interface ReadyPromotion {
  /** Promotes now; resolves with the report. */
  readonly go: () => Promise<PromoteReport>;
  readonly cancel: () => Promise<void>;
}

/** Starts the promotion thread and waits until it has loaded its modules. */
async function promotionThread(dir: string, options: Omit<PromoteOptions, 'progress'>): Promise<ReadyPromotion> {
  const worker = new Worker(PROMOTE_WORKER, { workerData: { dir, options } });
  // Whatever ends the thread early (an error, or an exit without one) fails whoever waits on it.
  const ended = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new LabError(`the promotion thread exited (code ${code}) before it reported`)));
  });
  ended.catch(() => undefined);
  const messages: ((message: unknown) => void)[] = [];
  worker.on('message', (message: unknown) => messages.shift()?.(message));
  const next = () => Promise.race([new Promise<unknown>((resolve) => messages.push(resolve)), ended]);
  const cancel = async () => void (await worker.terminate());
  try {
    await next(); // ready
  } catch (error) {
    await cancel();
    throw error;
  }
  return {
    cancel,
    go: async () => {
      const result = next();
      worker.postMessage('go');
      const message = (await result.finally(cancel)) as { ok: true; report: PromoteReport } | { ok: false; message: string };
      if (!message.ok) throw new LabError(message.message);
      return message.report;
    },
  };
}

/** Polls every node's evaluation until all give `expected` (as the result's `field`). */
export async function servedEverywhere(urls: readonly string[], evalPath: string, token: string, expected: string, timeoutMs: number, field = 'v'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const pending = new Set(urls);
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async (url) => {
        const outcome = await call(`${url}${evalPath}`, { method: 'POST', headers: { 'x-access-token': token }, body: { context: {} } });
        if ((outcome.body as { result?: Record<string, unknown> } | undefined)?.result?.[field] === expected) pending.delete(url);
      }),
    );
    if (pending.size === 0) return;
    if (performance.now() > deadline) throw new LabError(`after ${timeoutMs} ms these nodes do not serve '${expected}' yet: ${[...pending].join(', ')}`);
    await sleep(10);
  }
}

function summarize(input: {
  startedAtIso: string;
  state: LabState;
  options: DrillOptions;
  built: boolean;
  killAtMs: number;
  killStartedAtMs: number;
  killedRegion: string;
  promotion: DrillReport['promotion'];
  check: WriteCheck;
  writes: readonly WriteRecord[];
  samples: readonly EvaluationSample[];
  propagationMs: number | null;
  survivors: number;
}): DrillReport {
  const { state, options, killAtMs, killStartedAtMs, killedRegion, promotion, check, writes, samples } = input;
  const replication = state.replication;
  const acks = writes.filter((w) => w.ackAt !== null).map((w) => w.ackAt!).sort((a, b) => a - b);
  // Recovery times count from the start of the kill (the region may die at any moment of it), and
  // what counts as recovered comes after its end, when no answer can come from the killed region.
  const firstAfterKill = acks.find((t) => t > killAtMs);
  const rtoMs = firstAfterKill === undefined ? null : Math.round(firstAfterKill - killStartedAtMs);
  let longestGapMs = 0;
  for (let i = 1; i < acks.length; i++) longestGapMs = Math.max(longestGapMs, acks[i]! - acks[i - 1]!);

  const evaluations: RegionEvaluations[] = state.regions.map((region) => {
    const mine = samples.filter((s) => s.region === region.name);
    const latencies = mine.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
    const errorKinds: Record<string, number> = {};
    for (const s of mine) if (!s.ok) errorKinds[s.error ?? 'error'] = (errorKinds[s.error ?? 'error'] ?? 0) + 1;
    return {
      region: region.name,
      killed: region.name === killedRegion,
      requests: mine.length,
      errors: mine.filter((s) => !s.ok).length,
      errorsAfterKill: mine.filter((s) => !s.ok && s.t >= killStartedAtMs).length,
      errorKinds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
  });
  const firstGoodAfterKill = samples.filter((s) => s.ok && s.t >= killAtMs).reduce<number | null>((min, s) => (min === null || s.t < min ? s.t : min), null);
  const evaluationDowntimeMs = options.topology === 'active-passive' && firstGoodAfterKill !== null ? Math.max(0, firstGoodAfterKill - killStartedAtMs) : null;

  const seconds = Math.ceil(Math.max(...samples.map((s) => s.t), ...acks, 0) / 1000);
  const series: SeriesPoint[] = [];
  for (const region of state.regions) {
    for (let second = 0; second < seconds; second++) {
      const inSecond = samples.filter((s) => s.region === region.name && s.t >= second * 1000 && s.t < (second + 1) * 1000);
      series.push({ second, region: region.name, ok: inSecond.filter((s) => s.ok).length, errors: inSecond.filter((s) => !s.ok).length });
    }
  }
  const writeSeries = Array.from({ length: seconds }, (_, second) => ({ second, acknowledged: acks.filter((t) => t >= second * 1000 && t < (second + 1) * 1000).length }));

  const synchronous = replication.mode !== 'async';
  const surviving = evaluations.filter((e) => !e.killed);
  const checks: DrillCheck[] = [
    synchronous
      ? { name: 'RPO', ok: check.lost.length === 0, detail: `${check.lost.length} of ${check.acknowledged} acknowledged writes lost (${replication.mode} replication must lose none)` }
      : { name: 'RPO', ok: true, detail: `${check.lost.length} of ${check.acknowledged} acknowledged writes lost (async replication: measured, not guaranteed)` },
    { name: 'duplicates', ok: check.duplicates.length === 0, detail: `${check.duplicates.length} writes applied more than once` },
    options.topology === 'active-active'
      ? {
          name: 'evaluation in surviving regions',
          ok: surviving.every((e) => e.errors === 0),
          detail: surviving.map((e) => `${e.region} ${e.errors} errors in ${e.requests}`).join(', '),
        }
      : {
          name: 'evaluation resumed',
          ok: firstGoodAfterKill !== null,
          detail: evaluationDowntimeMs === null ? 'no good evaluation after the kill' : `the front served again ${Math.round(evaluationDowntimeMs)} ms after the kill`,
        },
    { name: 'writes resumed', ok: firstAfterKill !== undefined, detail: rtoMs === null ? 'no write acknowledged after the kill' : `write RTO ${rtoMs} ms` },
    {
      name: 'propagation after recovery',
      ok: input.propagationMs !== null,
      detail: input.propagationMs === null ? 'the deploy did not reach every surviving node within 30 s' : `${Math.round(input.propagationMs)} ms to ${input.survivors} node(s)`,
    },
  ];
  return {
    startedAt: input.startedAtIso,
    lab: { dir: state.dir, builtForTheDrill: input.built },
    config: {
      regions: state.regions.length,
      nodesPerRegion: state.regions[0]!.nodes.length,
      topology: options.topology,
      replication,
      durationS: options.durationS,
      concurrency: options.concurrency,
      writesPerSecond: options.writesPerSecond,
    },
    kill: { region: killedRegion, startedAtMs: Math.round(input.killStartedAtMs), atMs: Math.round(killAtMs) },
    promotion,
    writes: {
      ...check,
      attempted: writes.length,
      rtoMs,
      longestGapMs: Math.round(longestGapMs),
    },
    evaluations,
    evaluationDowntimeMs: evaluationDowntimeMs === null ? null : Math.round(evaluationDowntimeMs),
    propagation: { ms: input.propagationMs === null ? null : Math.round(input.propagationMs), nodes: input.survivors },
    series,
    writeSeries,
    checks,
    passed: checks.every((c) => c.ok),
  };
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}
