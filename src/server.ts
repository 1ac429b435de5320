import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { DataPlane } from './data-plane/data-plane.js';
import { packagesOptionsFromConfig } from './control-plane/packages/service.js';
import { PgBinariesNotFoundError, startEmbeddedPostgres, type EmbeddedPostgres } from './local-pg/index.js';
import { createNode } from './node.js';
import type { RegionsOptions } from './control-plane/regions/routes.js';
import { topologyProbe } from './dr/regions-probe.js';
import { loadTopology } from './topology/load.js';
import type { Services } from './control-plane/services.js';

export { ListenError } from './http/listen.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly services: Services;
  readonly dataPlane: DataPlane;
  /** Set when the server generated the first admin token: print it once. */
  readonly generatedAdminToken: string | undefined;
  close(): Promise<void>;
}

export interface DatabaseHandle {
  readonly url: string;
  readonly embedded: EmbeddedPostgres | undefined;
  release(): Promise<void>;
}

/**
 * DATABASE_URL when set, otherwise the embedded cluster in <dataDir>/pg. `onDatabaseLost`: the
 * embedded cluster's postmaster exited and could not be restarted (a long-running server exits then).
 */
export async function openDatabaseUrl(config: Config, logger: Logger, onDatabaseLost?: (error: Error) => void): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: undefined, release: async () => undefined };
  const embedded = await startEmbeddedPostgres({
    dir: path.join(config.dataDir, 'pg'),
    log: (msg) => logger.info(msg),
    warn: (msg) => logger.warn(msg),
    ...(onDatabaseLost ? { onFatal: onDatabaseLost } : {}),
  }).catch((error: unknown) => {
    // In a container (the image has no server binaries) the way out is DATABASE_URL, not installing.
    if (error instanceof PgBinariesNotFoundError) throw new PgBinariesNotFoundError([], `DATABASE_URL is not set, so Verdict would start PostgreSQL itself, but ${error.message} To use an existing PostgreSQL server (always, in a container), set DATABASE_URL.`);
    throw error;
  });
  return { url: embedded.url, embedded, release: () => embedded.stop() };
}

export interface StartOptions {
  /**
   * Called when a first admin token was generated: only once the server listens, so a start that
   * fails (a port in use) does not use up the one token that is ever printed.
   */
  readonly onAdminTokenGenerated?: (token: string) => void;
  /** The embedded database died for good; see openDatabaseUrl. */
  readonly onDatabaseLost?: (error: Error) => void;
}

/**
 * The regions view as configured: a topology file is read (and checked) once, at start, so a bad
 * file stops the start with the field it names rather than failing every view later.
 */
export function regionsOptions(config: Pick<Config, 'topologyFile' | 'drillReportsDir' | 'regionsMaxStreams'>): RegionsOptions {
  return {
    ...(config.topologyFile ? { probe: topologyProbe(loadTopology(config.topologyFile)) } : {}),
    drillReportsDir: config.drillReportsDir,
    maxStreams: config.regionsMaxStreams,
  };
}

/** Starts everything `verdict serve` runs: database (embedded or given), migrations, HTTP, bootstrap. */
export async function startServer(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const regions = regionsOptions(config);
  const handle = await openDatabaseUrl(config, logger, options.onDatabaseLost);
  const node = await createNode(config, {
    logger,
    database: {
      writerUrl: handle.url,
      readerUrl: config.databaseReadUrl,
      maxReadLagMs: config.maxReadLagMs,
      timeoutMs: config.databaseTimeoutMs,
      transactionTimeoutMs: config.databaseWriteTimeoutMs,
      logger: logger.child({ component: 'database' }),
    },
    migrate: true,
    packages: packagesOptionsFromConfig(config),
    regions,
    onAdminTokenGenerated: options.onAdminTokenGenerated,
    release: () => handle.release(),
  });
  const { app, url, services, dataPlane, bootstrap } = node;
  return { app, url, services, dataPlane, generatedAdminToken: bootstrap?.kind === 'generated' ? bootstrap.token : undefined, close: () => node.close() };
}
