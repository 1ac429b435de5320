import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { Metrics } from '../../observability/metrics.js';
import type { Services } from '../../services.js';
import { DecisionEngine } from './engine.js';
import { EvaluationRuntime } from './runtime.js';
import { EvaluationService } from './service.js';
import { SimulatorService } from './simulator.js';
import { RuntimeSync } from './sync.js';
import { FunctionGate } from './function-gate.js';

/** Everything a node needs to evaluate: the engine, what it serves, and the loop keeping that current. */
export interface DataPlane {
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
  config: Pick<Config, 'httpAllowHosts' | 'syncIntervalMs' | 'batchMaxItems'> & { functionConcurrency?: number | undefined },
  logger: Logger,
): DataPlane {
  const metrics = new Metrics();
  const engine = new DecisionEngine({ allowHosts: config.httpAllowHosts, onHttpCall: (outcome) => metrics.outboundHttp.inc({ outcome }) });
  const runtime = new EvaluationRuntime(engine, metrics);
  const sync = new RuntimeSync(services, runtime, metrics, logger.child({ component: 'sync' }), config.syncIntervalMs);
  const functionGate = new FunctionGate(config.functionConcurrency);
  metrics.lastSyncAt = () => sync.status.lastSuccessAt;
  return {
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
