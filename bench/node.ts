import type { Logger } from 'pino';
import type { DatabaseOptions } from '../src/db/database.js';
import type { PackagesOptions } from '../src/control-plane/packages/service.js';
import { createNode, type NodeConfig, type VerdictNode } from '../src/node.js';

/**
 * A node on `database` (already migrated), started as `verdict serve` starts one (engine hosts
 * included) on a free loopback port, with the admin token its bootstrap generated ('' if none).
 */
export async function startBenchNode(
  database: DatabaseOptions,
  logger: Logger,
  options: { packages?: PackagesOptions; config?: Partial<NodeConfig> } = {},
): Promise<{ node: VerdictNode; token: string }> {
  const node = await createNode(
    { host: '127.0.0.1', port: 0, bodyLimitBytes: 1024 * 1024, syncIntervalMs: 250, batchMaxItems: 1000, httpAllowHosts: [], heartbeatIntervalMs: 5_000, ...options.config },
    { logger, database, packages: options.packages },
  );
  return { node, token: node.bootstrap?.kind === 'generated' ? node.bootstrap.token : '' };
}
