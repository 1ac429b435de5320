import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { drStatus } from '../dr/status.js';
import { labDown, labKill, labStatus, labUp } from '../lab/lab.js';
import { LabError, drRegions, findRegion, nodeUrl, postgresUrl, readLabState, type LabState } from '../lab/state.js';
import { checkWrites } from './check.js';
import { EvaluationLoad } from './evaluation-load.js';
import { call } from './http.js';
import { changeReplication } from './lab-dr.js';
import { createDrillProject } from './project.js';
import { promotionThread, type ReadyPromotion } from './promote-thread.js';
import { servedEverywhere, waitForRecovery } from './served.js';
import { FRONT, summarize } from './summary.js';
import type { DrillOptions, DrillReport } from './types.js';
import { WriteStream } from './write-stream.js';

export type { DrillCheck, DrillOptions, DrillReport, RegionEvaluations, SeriesPoint } from './types.js';
export { servedEverywhere } from './served.js';

const RECOVERY_TIMEOUT_MS = 60_000;


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
    [
      ...state.regions.map((r) => ({ name: r.name, nodeUrls: r.nodes.map(nodeUrl) })),
      // Clients of a front: it decides which node answers, before and after the kill.
      ...(options.front ? [{ name: FRONT, nodeUrls: [options.front.url.replace(/\/+$/, '')] }] : []),
    ],
    {
      path: evalPath,
      token,
      concurrency: options.concurrency,
      startedAt,
      isActive: (region) => region === FRONT || topology === 'active-active' || region === front,
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
