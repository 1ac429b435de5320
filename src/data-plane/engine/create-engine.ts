import type { Logger } from 'pino';
import type { Metrics } from '../../observability/metrics.js';
import { EnginePool } from './engine-pool.js';

/** The engine's part of the node's configuration (see Config for each setting). */
export interface EngineConfig {
  readonly httpAllowHosts: readonly string[];
  readonly functionConcurrency?: number | undefined;
  readonly engineHosts?: number | undefined;
  readonly engineSpare?: boolean | undefined;
  readonly evalTimeoutMs?: number | undefined;
  readonly evalSlowMs?: number | undefined;
  readonly isolationMs?: number | undefined;
}

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
