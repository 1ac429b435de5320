import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkWrites, type WriteCheck } from '../drill/check.js';
import { servedEverywhere } from '../drill/drill.js';
import { EvaluationLoad } from '../drill/evaluation-load.js';
import { call } from '../drill/http.js';
import { WriteStream } from '../drill/write-stream.js';
import { drStatus } from '../dr/status.js';
import { labDown, labUp } from '../lab/lab.js';
import { LabError, drRegions, findRegion, nodeUrl, postgresUrl, readLabState, type LabState } from '../lab/state.js';
import { evaluationErrors, longestAckGap, lossTimes, lossesBeyondLag, mixedAnswers, writeRto, type RegionErrors } from './accounting.js';
import type { ChaosContext } from './context.js';
import type { FaultStep } from './faults.js';
import { ChaosNetwork } from './network.js';
import { Rng } from './prng.js';
import { MARKED_RELEASES, createChaosProject, isExpected, isMixed, type ChaosProject } from './project.js';

export interface Scenario {
  readonly name: string;
  readonly steps: readonly FaultStep[];
  /** Seeds the scenario's own choices (which standby, which node). */
  readonly seed: number;
  /** sync: no acknowledged write may be lost; async: only what the lag before a loss explains. */
  readonly mode: 'sync' | 'async';
}

export interface ScenarioResult {
  readonly name: string;
  readonly mode: 'sync' | 'async';
  readonly attempted: number;
  readonly writes: WriteCheck | null;
  /** Async mode: lost writes the lag seen before a loss of the primary does not explain, with when they were acknowledged. */
  readonly lostBeyondLag: readonly string[];
  /** The write lag the primary reported just before each loss. */
  readonly lagsMs: readonly number[];
  readonly evaluations: readonly RegionErrors[];
  /** Node URL to how many mixed-release answers it gave. */
  readonly mixed: Readonly<Record<string, number>>;
  readonly rtoMs: number | null;
  readonly longestGapMs: number;
  /** After the last recovery, a deploy through every node succeeded and every node served it. */
  readonly recovered: boolean;
  /** What stopped the scenario or its recovery, if anything did. */
  readonly error: string | null;
  readonly durationMs: number;
}

export interface ScenarioOptions {
  readonly network: boolean;
  /** Prefix of every write id of this scenario (ids are unique across the run). */
  readonly tag: string;
  readonly log: (line: string) => void;
  /** Registers the teardown, for a runner stopped by a signal; called with undefined when done. */
  readonly onTeardown?: (teardown: (() => Promise<void>) | undefined) => void;
}

const REGIONS = 3;

/**
 * One scenario on a lab of its own (3 regions, one node each, its replication mode, built in network
 * namespaces when they can be used): writers and evaluation clients run while the fault steps
 * run one after the other, then the set checker reads the final primary.
 */
export async function runScenario(scenario: Scenario, options: ScenarioOptions): Promise<ScenarioResult> {
  const began = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), `verdict-chaos-${process.pid}-`));
  chmodSync(dir, 0o755); // the postgres OS user must reach the data directories
  let network: ChaosNetwork | undefined;
  const teardown = async () => {
    await labDown(dir, { purge: true }).catch(() => undefined);
    network?.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  options.onTeardown?.(teardown);
  try {
    network = options.network ? ChaosNetwork.create(REGIONS) : undefined;
    const { state } = await labUp({
      dir,
      regions: REGIONS,
      nodesPerRegion: 1,
      replication: scenario.mode === 'sync' ? { mode: 'sync', standbys: 1 } : { mode: 'async', standbys: 0 },
      topology: 'active-active',
      durable: false,
      ...(network ? { network: network.labNetwork() } : {}),
    });
    const project = await createChaosProject(nodeUrl(state.regions[0]!.nodes[0]!), state.adminToken, 'chaos');
    const nodes = state.regions.flatMap((r) => r.nodes.map(nodeUrl));
    await servedEverywhere(nodes, project.evalPath, project.token, MARKED_RELEASES[0], 60_000, 'parent');
    return await underLoad(scenario, options, state, project, network, began);
  } catch (error) {
    return failed(scenario, error, began);
  } finally {
    await teardown();
    options.onTeardown?.(undefined);
  }
}

async function underLoad(scenario: Scenario, options: ScenarioOptions, state: LabState, project: ChaosProject, network: ChaosNetwork | undefined, began: number): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const since = () => performance.now() - startedAt;
  const nodes = state.regions.flatMap((r) => r.nodes.map(nodeUrl));
  const common = { adminToken: state.adminToken, startedAt, rotate: true, giveUpMs: 30_000 } as const;
  const deploys = new WriteStream(() => nodes, { ...common, path: project.deployPath, releases: MARKED_RELEASES, perSecond: 6, idPrefix: `${options.tag}d` });
  const others = new WriteStream(() => nodes, { ...common, path: '', releases: MARKED_RELEASES, perSecond: 4, idPrefix: `${options.tag}w`, plan: project.saveAndRelease });
  const load = new EvaluationLoad(
    state.regions.map((r) => ({ name: r.name, nodeUrls: r.nodes.map(nodeUrl) })),
    { path: project.evalPath, token: project.token, concurrency: 1, startedAt, isActive: () => true, isExpected, isMixed, pauseMs: 10 },
  );
  const ctx: ChaosContext = { dir: state.dir, network, rng: new Rng(scenario.seed), since, deploys, outages: [], primaryLosses: [], log: (line) => options.log(`  ${(since() / 1000).toFixed(1)}s ${line}`) };
  let error: string | null = null;
  load.start();
  deploys.start();
  others.start();
  try {
    await sleep(1500);
    for (const step of scenario.steps) {
      ctx.log(`fault: ${step.name}`);
      await step.run(ctx);
      await sleep(1000);
    }
    await sleep(500);
  } catch (failure) {
    error = `${(failure as Error).message.split('\n')[0]}`;
    ctx.log(`step failed: ${error}`);
  } finally {
    await Promise.all([deploys.stop(), others.stop(), load.stop()]);
  }
  const end = since();
  for (const o of ctx.outages) o.to ??= end;
  const log = [...deploys.log, ...others.log];
  const writes = await finalRead(state.dir, log, options.tag).catch((e: Error) => {
    error ??= `final read: ${e.message}`;
    return null;
  });
  const recovered = error === null ? await recoveredEverywhere(state.dir, project, (line) => ctx.log(line)) : false;
  return {
    name: scenario.name,
    mode: scenario.mode,
    attempted: log.length,
    writes,
    lostBeyondLag: writes && scenario.mode === 'async' ? lossTimes(log, lossesBeyondLag(log, writes.lost, ctx.primaryLosses), ctx.primaryLosses) : [],
    lagsMs: ctx.primaryLosses.map((l) => Math.round(l.lagMs)),
    evaluations: evaluationErrors(load.samples, ctx.outages, state.regions.map((r) => r.name), end),
    mixed: mixedAnswers(load.samples),
    rtoMs: writeRto(log, ctx.primaryLosses),
    longestGapMs: longestAckGap(log),
    recovered,
    error,
    durationMs: Math.round(performance.now() - began),
  };
}

/** The final read, on the current primary: the writable server with the highest cluster generation. */
async function finalRead(dir: string, log: Parameters<typeof checkWrites>[1], tag: string): Promise<WriteCheck> {
  const state = readLabState(dir);
  const status = await drStatus(drRegions(state), undefined);
  if (status.primary === null) throw new LabError(`no primary: dr status says ${status.health}`);
  return checkWrites(postgresUrl(state, findRegion(state, status.primary)), log, { idPrefix: tag });
}

/** A deploy through every node (each must take writes again), then every node must serve the last one. */
async function recoveredEverywhere(dir: string, project: ChaosProject, log: (line: string) => void): Promise<boolean> {
  const state = readLabState(dir);
  const nodes = state.regions.flatMap((r) => r.nodes.map(nodeUrl));
  let release: string = MARKED_RELEASES[0];
  for (const [i, node] of nodes.entries()) {
    release = MARKED_RELEASES[i % 2]!;
    const deadline = performance.now() + 30_000;
    for (;;) {
      const outcome = await call(`${node}${project.deployPath}`, { method: 'POST', headers: { authorization: `Bearer ${state.adminToken}` }, body: { release }, timeoutMs: 10_000 });
      if (outcome.ok) break;
      if (performance.now() > deadline) {
        log(`${node} takes no deploy after recovery: ${outcome.status ?? outcome.error} ${JSON.stringify(outcome.body)}`);
        return false;
      }
      await sleep(250);
    }
  }
  return servedEverywhere(nodes, project.evalPath, project.token, release, 30_000, 'parent').then(
    () => true,
    (error: Error) => (log(error.message), false),
  );
}

function failed(scenario: Scenario, error: unknown, began: number): ScenarioResult {
  return {
    name: scenario.name,
    mode: scenario.mode,
    attempted: 0,
    writes: null,
    lostBeyondLag: [],
    lagsMs: [],
    evaluations: [],
    mixed: {},
    rtoMs: null,
    longestGapMs: 0,
    recovered: false,
    error: `${(error as Error).message.split('\n')[0]}`,
    durationMs: Math.round(performance.now() - began),
  };
}
