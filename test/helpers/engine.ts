import pino from 'pino';
import { EnginePool } from '../../src/data-plane/engine/engine-pool.js';

/**
 * A real engine pool (zen-engine in child processes) for tests that use the engine without a whole
 * server. Close it in afterAll: it stops its host processes.
 */
export function startTestEngine(options: { hosts?: number; spare?: boolean; timeoutMs?: number; slowMs?: number; isolationMs?: number } = {}): EnginePool {
  return new EnginePool({
    allowHosts: [],
    hosts: options.hosts ?? 1,
    spare: options.spare ?? false,
    timeoutMs: options.timeoutMs ?? 10_000,
    slowMs: options.slowMs ?? 5_000,
    isolationMs: options.isolationMs ?? 60_000,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
}
