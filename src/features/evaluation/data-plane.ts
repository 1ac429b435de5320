import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { Metrics } from '../../observability/metrics.js';
import type { Services } from '../../services.js';
import { DecisionEngine } from './engine.js';
import { EvaluationRuntime } from './runtime.js';
import { EvaluationService } from './service.js';
import { SimulatorService } from './simulator.js';
import { RuntimeSync } from './sync.js';
import { SnapshotStore } from './snapshot.js';
import { FunctionGate } from './function-gate.js';

/** Everything a node needs to evaluate: the engine, what it serves, and the loop keeping that current. */
/** Who this node is, for health answers and the fleet view. */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly region: string;
  /** /health/ready fails when the serving state is older than this (0: never). */
  readonly maxStalenessMs: number;
  /** Default lag bound of /health/replica. */
  readonly maxReadLagMs: number;
}

export interface DataPlane {
  readonly node: NodeIdentity;
  readonly metrics: Metrics;
  readonly engine: DecisionEngine;
  readonly runtime: EvaluationRuntime;
  readonly sync: RuntimeSync;
  readonly evaluation: EvaluationService;
  readonly simulator: SimulatorService;
  /** Stops polling and frees the engine. */
  close(): Promise<void>;
}

export function createDataPlane(
  services: Services,
  config: Pick<Config, 'httpAllowHosts' | 'syncIntervalMs' | 'batchMaxItems'> &
    Partial<Pick<Config, 'functionConcurrency' | 'snapshotDir' | 'nodeId' | 'region' | 'maxStalenessMs' | 'maxReadLagMs'>>,
  logger: Logger,
): DataPlane {
  const metrics = new Metrics();
  const engine = new DecisionEngine({ allowHosts: config.httpAllowHosts, onHttpCall: (outcome) => metrics.outboundHttp.inc({ outcome }) });
  const runtime = new EvaluationRuntime(engine, metrics);
  const snapshots = config.snapshotDir ? new SnapshotStore(config.snapshotDir) : undefined;
  const sync = new RuntimeSync(services, runtime, metrics, logger.child({ component: 'sync' }), config.syncIntervalMs, snapshots);
  const functionGate = new FunctionGate(config.functionConcurrency);
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
    evaluation: new EvaluationService(runtime, sync, metrics, config.batchMaxItems, functionGate),
    simulator: new SimulatorService(services, engine, functionGate),
    async close() {
      await sync.stop();
      engine.dispose();
    },
  };
}
