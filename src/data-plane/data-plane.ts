import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../observability/metrics.js';
import type { Services } from '../services.js';
import { EvaluationRuntime } from './serving/runtime.js';
import { EvaluationService } from './serving/evaluation-service.js';
import { SimulatorService } from '../features/simulation/simulator.js';
import { RuntimeSync } from './sync/sync.js';
import { SnapshotStore } from './sync/snapshot.js';
import { EnginePool } from './engine/engine-pool.js';

/** Who this node is, for health answers and the fleet view. */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly region: string;
  /** /health/ready fails when the serving state is older than this (0: never). */
  readonly maxStalenessMs: number;
  /** Default lag bound of /health/replica. */
  readonly maxReadLagMs: number;
}

/** Everything a node needs to evaluate: the engine, what it serves, and the loop keeping that current. */
export interface DataPlane {
  readonly node: NodeIdentity;
  readonly metrics: Metrics;
  readonly engine: EnginePool;
  readonly runtime: EvaluationRuntime;
  readonly sync: RuntimeSync;
  readonly evaluation: EvaluationService;
  readonly simulator: SimulatorService;
  /** Stops polling and the engine hosts. */
  close(): Promise<void>;
}

export type EngineConfig = Pick<Config, 'httpAllowHosts'> &
  Partial<Pick<Config, 'functionConcurrency' | 'engineHosts' | 'engineSpare' | 'evalTimeoutMs' | 'evalSlowMs' | 'isolationMs'>>;

/** Defaults of the engine settings (see Config), for callers that set only some. */
export const ENGINE_DEFAULTS = Object.freeze({ engineHosts: 2, evalTimeoutMs: 1_000, evalSlowMs: 500, isolationMs: 60_000, maxJsonDepth: 64 });

/**
 * The node's engine: zen-engine in child processes (see EnginePool). Created before the services,
 * which validate graphs with it, and handed to the data plane, which owns it from then on.
 */
export function createEngine(config: EngineConfig, logger: Logger, metrics: Metrics): EnginePool {
  const engine = new EnginePool({
    allowHosts: config.httpAllowHosts,
    hosts: config.engineHosts ?? ENGINE_DEFAULTS.engineHosts,
    spare: config.engineSpare ?? true,
    timeoutMs: config.evalTimeoutMs ?? ENGINE_DEFAULTS.evalTimeoutMs,
    slowMs: config.evalSlowMs ?? ENGINE_DEFAULTS.evalSlowMs,
    isolationMs: config.isolationMs ?? ENGINE_DEFAULTS.isolationMs,
    functionConcurrency: config.functionConcurrency,
    logger: logger.child({ component: 'engine' }),
    events: {
      http: (calls) => {
        if (calls.allowed) metrics.outboundHttp.inc({ outcome: 'allowed' }, calls.allowed);
        if (calls.denied) metrics.outboundHttp.inc({ outcome: 'denied' }, calls.denied);
      },
      restart: (lane, reason) => metrics.engineRestarts.inc({ lane, reason }),
      limit: (kind) => metrics.evaluationLimits.inc({ kind }),
    },
  });
  metrics.engineStatus = () => {
    const status = engine.status();
    return { ready: { serving: status.serving.ready, isolated: status.isolated.ready }, isolated: status.isolatedDecisions.length };
  };
  return engine;
}

export function createDataPlane(
  services: Services,
  config: Pick<Config, 'syncIntervalMs' | 'batchMaxItems'> &
    Partial<Pick<Config, 'snapshotDir' | 'nodeId' | 'region' | 'maxStalenessMs' | 'maxReadLagMs' | 'maxJsonDepth'>>,
  logger: Logger,
  parts: { readonly engine: EnginePool; readonly metrics: Metrics },
): DataPlane {
  const { engine, metrics } = parts;
  // Evaluation input: bounded in depth, and in the numbers the engine can take.
  const limits = { maxDepth: config.maxJsonDepth ?? ENGINE_DEFAULTS.maxJsonDepth, engineNumbers: true };
  const runtime = new EvaluationRuntime(engine, metrics);
  const snapshots = config.snapshotDir ? new SnapshotStore(config.snapshotDir) : undefined;
  const sync = new RuntimeSync(services, runtime, metrics, logger.child({ component: 'sync' }), config.syncIntervalMs, snapshots);
  metrics.lastSyncAt = () => sync.status.lastSuccessAt;
  return {
    node: {
      nodeId: config.nodeId ?? `node-${process.pid}`,
      region: config.region ?? 'local',
      maxStalenessMs: config.maxStalenessMs ?? 0,
      maxReadLagMs: config.maxReadLagMs ?? 10_000,
    },
    metrics,
    engine,
    runtime,
    sync,
    evaluation: new EvaluationService(runtime, sync, metrics, config.batchMaxItems, engine, limits),
    simulator: new SimulatorService(services, engine, limits),
    async close() {
      await sync.stop();
      await engine.close();
    },
  };
}
