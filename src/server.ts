import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { GenerationWatch } from './db/generation-watch.js';
import { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { AppError } from './errors.js';
import { isConnectionOrReadOnlyError } from './lib/pg-errors.js';
import { buildApp } from './http/app.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './local-pg/index.js';
import { createServices, type Services } from './services.js';
import { packagesOptionsFromConfig } from './features/packages/service.js';
import { createDataPlane, createEngine, type DataPlane } from './data-plane/data-plane.js';
import { Metrics } from './observability/metrics.js';
import { FleetReporter } from './data-plane/fleet/reporter.js';
import { controlPlaneLink, fleetLink } from './features/serving/control-plane-link.js';
import { SnapshotStore } from './data-plane/sync/snapshot.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly services: Services;
  readonly dataPlane: DataPlane;
  /** Set when the server generated the first admin token: print it once. */
  readonly generatedAdminToken: string | undefined;
  close(): Promise<void>;
}

function isUnreachable(error: unknown): boolean {
  return isConnectionOrReadOnlyError(error) || (error instanceof AppError && error.code === 'database-unavailable');
}

function snapshotGeneration(config: Config, logger: Logger): number | null {
  if (!config.snapshotDir) return null;
  try {
    return new SnapshotStore(config.snapshotDir).read()?.generation ?? null;
  } catch (error) {
    logger.warn({ err: error }, 'cannot read the serving snapshot for its cluster generation');
    return null;
  }
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
  });
  return { url: embedded.url, embedded, release: () => embedded.stop() };
}

/** Starts everything `verdict serve` runs: database (embedded or given), migrations, HTTP, bootstrap. */
export interface StartOptions {
  /**
   * Called when a first admin token was generated: only once the server listens, so a start that
   * fails (a port in use) does not use up the one token that is ever printed.
   */
  readonly onAdminTokenGenerated?: (token: string) => void;
  /** The embedded database died for good; see openDatabaseUrl. */
  readonly onDatabaseLost?: (error: Error) => void;
}

/** A listen error as one sentence that says what to do. */
export class ListenError extends Error {
  override name = 'ListenError';
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${host}:${port}`;
    if (code === 'EADDRINUSE') throw new ListenError(`cannot listen on ${where}: the address is already in use (another Verdict, or another program); stop it or set PORT or HOST`);
    if (code === 'EACCES') throw new ListenError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges); set PORT`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ListenError(`cannot listen on ${where}: no such local address; set HOST`);
    throw error;
  }
}

export async function startServer(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const handle = await openDatabaseUrl(config, logger, options.onDatabaseLost);
  const db = new Database({
    writerUrl: handle.url,
    readerUrl: config.databaseReadUrl,
    maxReadLagMs: config.maxReadLagMs,
    timeoutMs: config.databaseTimeoutMs,
    transactionTimeoutMs: config.databaseWriteTimeoutMs,
    logger: logger.child({ component: 'database' }),
  });
  let app: FastifyInstance | undefined;
  let dataPlane: DataPlane | undefined;
  let dataPlaneParts: { engine: { close(): Promise<void> }; metrics: Metrics } | undefined;
  try {
    // With every database down a node may still start and serve its last-known-good snapshot.
    let migration: Awaited<ReturnType<typeof migrate>> | undefined;
    try {
      // The snapshot's generation is a floor from before this restart: an old primary that came
      // back is fenced even when it is the only server this node reaches now.
      const floor = snapshotGeneration(config, logger);
      if (floor !== null) db.observeGeneration(floor);
      await db.open();
      migration = await migrate(db.sql, undefined, (msg) => logger.info(msg));
      logger.info({ schemaVersion: migration.schemaVersion, applied: migration.applied.length, readOnly: migration.readOnly }, 'database schema ready');
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      logger.warn({ err: error }, 'no database reachable at start; trying the serving snapshot');
    }
    const metrics = new Metrics();
    const engine = createEngine(config, logger, metrics);
    dataPlaneParts = { engine, metrics };
    const services = createServices(db, { checker: engine, limits: { maxJsonDepth: config.maxJsonDepth }, packages: packagesOptionsFromConfig(config) });
    dataPlane = createDataPlane(controlPlaneLink(services), config, logger, { engine, metrics });
    // Listening only once the engine hosts run: a load balancer may send traffic at once.
    await Promise.all([dataPlane.start(), engine.started()]);
    app = await buildApp({ config, services, dataPlane, logger });
    const url = await listen(app, config.host, config.port);
    // After listen: the generated admin token is shown once, so it is made only by a start that
    // works. Until then no admin exists, and requests get 401 like any unknown token.
    let generatedAdminToken: string | undefined;
    if (migration && !migration.readOnly) {
      const outcome = await services.apiTokens.bootstrap(config.adminToken);
      if (outcome.kind === 'generated') {
        generatedAdminToken = outcome.token;
        options.onAdminTokenGenerated?.(outcome.token);
      }
      if (outcome.kind === 'configured') {
        logger.info({ revokedPrevious: outcome.revokedPrevious }, 'registered VERDICT_ADMIN_TOKEN as an admin API token');
      }
      if (outcome.kind === 'configured-token-revoked') logger.warn('VERDICT_ADMIN_TOKEN was revoked; it stays revoked');
    }
    const reporter = new FleetReporter(fleetLink(services), dataPlane, config.heartbeatIntervalMs, logger.child({ component: 'fleet' }));
    reporter.start();
    // As often as the heartbeat: an old primary that still answers is fenced within one interval.
    const watch = new GenerationWatch(db, config.heartbeatIntervalMs);
    watch.start();
    const server = app;
    const plane = dataPlane;
    let closing: Promise<void> | undefined;
    return {
      app,
      url,
      services,
      dataPlane: plane,
      generatedAdminToken,
      close() {
        closing ??= (async () => {
          reporter.stop();
          await watch.stop();
          await server.close();
          await plane.close();
          await db.close();
          await handle.release();
        })();
        return closing;
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await (dataPlane ?? dataPlaneParts?.engine)?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    await handle.release().catch(() => undefined);
    throw error;
  }
}
