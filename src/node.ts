import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { controlPlaneLink, fleetLink } from './control-plane/serving/control-plane-link.js';
import { Database, type DatabaseOptions } from './db/database.js';
import { GenerationWatch } from './db/generation-watch.js';
import { migrate } from './db/migrate.js';
import { createDataPlane, createEngine, ENGINE_DEFAULTS, type DataPlane } from './data-plane/data-plane.js';
import type { EnginePool } from './data-plane/engine/engine-pool.js';
import { FleetReporter } from './data-plane/fleet/reporter.js';
import { SnapshotStore } from './data-plane/sync/snapshot.js';
import { AppError } from './errors.js';
import type { BootstrapOutcome } from './control-plane/api-tokens/service.js';
import type { PackagesOptions } from './control-plane/packages/service.js';
import { buildApp } from './http/app.js';
import { listen } from './http/listen.js';
import { isConnectionOrReadOnlyError } from './lib/pg-errors.js';
import { unreachable } from './lib/unreachable.js';
import { Metrics } from './observability/metrics.js';
import { createServices, type Services } from './control-plane/services.js';
import type { RegionsOptions } from './control-plane/regions/routes.js';
import { WebhookDispatcher } from './control-plane/webhooks/dispatcher.js';
import { DEFAULT_WEBHOOK_SETTINGS } from './control-plane/webhooks/settings.js';

/** The settings a node runs with: `Config` as `verdict serve` reads it, or the parts a test sets. */
export type NodeConfig = Pick<Config, 'host' | 'port' | 'bodyLimitBytes' | 'syncIntervalMs' | 'batchMaxItems' | 'httpAllowHosts' | 'heartbeatIntervalMs'> &
  Partial<
    Pick<
      Config,
      | 'adminToken'
      | 'requestTimeoutMs'
      | 'maxConnections'
      | 'metricsPort'
      | 'metricsHost'
      | 'packageLimitBytes'
      | 'functionConcurrency'
      | 'engineHosts'
      | 'engineSpare'
      | 'evalTimeoutMs'
      | 'evalSlowMs'
      | 'isolationMs'
      | 'maxJsonDepth'
      | 'evaluator'
      | 'testMaxCases'
      | 'snapshotDir'
      | 'nodeId'
      | 'region'
      | 'maxStalenessMs'
      | 'maxReadLagMs'
      | 'webhooks'
      | 'oidc'
    >
  >;

export interface NodeDeps {
  readonly logger: Logger;
  /** The database the node opens, and closes with it. */
  readonly database: DatabaseOptions;
  /** Apply migrations at start (the server); tests and benchmarks bring migrated databases. */
  readonly migrate?: boolean;
  readonly packages?: PackagesOptions | undefined;
  /** Ask every database host for its generation each heartbeat (default true; one host: no watch). */
  readonly watchGeneration?: boolean;
  /**
   * A first admin token was generated: called only once the node listens, so a start that fails
   * (a port in use) does not use up the one token that is ever shown.
   */
  readonly onAdminTokenGenerated?: ((token: string) => void) | undefined;
  /** The regions view: a topology to probe, the drill report folder, stream limits (default: the node's own view). */
  readonly regions?: RegionsOptions | undefined;
  /** Runs last when the node closes, or when its start fails (an embedded cluster stops). */
  readonly release?: () => Promise<void>;
}

/** A running Verdict node: control plane, data plane and the HTTP app serving both. */
export interface VerdictNode {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly db: Database;
  readonly services: Services;
  readonly dataPlane: DataPlane;
  /** What the admin bootstrap did; undefined when the database was unreachable or read-only at start. */
  readonly bootstrap: BootstrapOutcome | undefined;
  /** Stops in the reverse order of start; once. */
  close(): Promise<void>;
}

function isUnreachable(error: unknown): boolean {
  return isConnectionOrReadOnlyError(error) || (error instanceof AppError && error.code === 'database-unavailable');
}

function snapshotGeneration(snapshotDir: string | undefined, logger: Logger): number | null {
  if (!snapshotDir) return null;
  try {
    return new SnapshotStore(snapshotDir).read()?.generation ?? null;
  } catch (error) {
    logger.warn({ err: error }, 'cannot read the serving snapshot for its cluster generation');
    return null;
  }
}

/** Opens the database (and migrates it when asked); false when no database answered. */
async function openDatabase(db: Database, config: NodeConfig, deps: NodeDeps): Promise<{ writable: boolean } | undefined> {
  try {
    // The snapshot's generation is a floor from before this restart: an old primary that came
    // back is fenced even when it is the only server this node reaches now.
    const floor = snapshotGeneration(config.snapshotDir, deps.logger);
    if (floor !== null) db.observeGeneration(floor);
    await db.open();
    if (!deps.migrate) return { writable: true };
    const migration = await migrate(db.sql, undefined, (msg) => deps.logger.info(msg));
    deps.logger.info({ schemaVersion: migration.schemaVersion, applied: migration.applied.length, readOnly: migration.readOnly }, 'database schema ready');
    return { writable: !migration.readOnly };
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    // With every database down a node may still start and serve its last-known-good snapshot.
    deps.logger.warn({ err: error }, 'no database reachable at start; trying the serving snapshot');
    return undefined;
  }
}

async function bootstrapAdmin(services: Services, config: NodeConfig, deps: NodeDeps): Promise<BootstrapOutcome> {
  const outcome = await services.apiTokens.bootstrap(config.adminToken);
  switch (outcome.kind) {
    case 'generated':
      deps.onAdminTokenGenerated?.(outcome.token);
      break;
    case 'configured':
      deps.logger.info({ revokedPrevious: outcome.revokedPrevious }, 'registered VERDICT_ADMIN_TOKEN as an admin API token');
      break;
    case 'configured-token-revoked':
      deps.logger.warn('VERDICT_ADMIN_TOKEN was revoked; it stays revoked');
      break;
    case 'existing':
      break;
    default:
      unreachable(outcome, 'bootstrap outcome');
  }
  return outcome;
}

/**
 * Starts a node in the one order that works: database -> engine -> services -> data plane (its
 * serving state loaded, every engine host started) -> [configured admin token] -> HTTP app listening -> [generated admin token] ->
 * fleet heartbeats and the generation watch. Closes in the reverse order.
 */
export async function createNode(config: NodeConfig, deps: NodeDeps): Promise<VerdictNode> {
  const { logger } = deps;
  const db = new Database(deps.database);
  let engine: EnginePool | undefined;
  let dataPlane: DataPlane | undefined;
  let app: FastifyInstance | undefined;
  try {
    const opened = await openDatabase(db, config, deps);
    const metrics = new Metrics();
    engine = createEngine(config, logger, metrics);
    const maxJsonDepth = config.maxJsonDepth ?? ENGINE_DEFAULTS.maxJsonDepth;
    const webhookSettings = config.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
    const services = createServices(db, {
      checker: engine,
      limits: { maxJsonDepth },
      ...(config.testMaxCases === undefined ? {} : { testMaxCases: config.testMaxCases }),
      ...(deps.packages ? { packages: deps.packages } : {}),
      webhooks: { allowHosts: webhookSettings.allowHosts },
    });
    dataPlane = createDataPlane(controlPlaneLink(services), config, logger, { engine, metrics });
    // Listening only once the engine hosts run: a load balancer may send traffic at once.
    await Promise.all([dataPlane.start(), engine.started()]);
    app = await buildApp({ config, services, dataPlane, logger, regions: deps.regions });
    // A configured admin token works from the first answered request (a pipeline may send one as
    // soon as the port opens). A generated one is made after listen: it is shown once, so only by
    // a start that works; until then no admin exists, and requests get 401 like any unknown token.
    const configured = opened?.writable && config.adminToken !== undefined ? await bootstrapAdmin(services, config, deps) : undefined;
    const url = await listen(app, config.host, config.port);
    const bootstrap = configured ?? (opened?.writable ? await bootstrapAdmin(services, config, deps) : undefined);
    const reporter = new FleetReporter(fleetLink(services), dataPlane, config.heartbeatIntervalMs, logger.child({ component: 'fleet' }));
    reporter.start();
    // As often as the heartbeat: an old primary that still answers is fenced within one interval.
    const watch = deps.watchGeneration === false ? undefined : new GenerationWatch(db, config.heartbeatIntervalMs);
    watch?.start();
    // Every node sends webhooks, from whichever server is the primary (see WebhookDispatcher).
    const dispatcher = new WebhookDispatcher(db, services.webhooks, {
      ...webhookSettings,
      nodeId: dataPlane.node.nodeId,
      policy: services.webhooks.policy,
      retry: { baseMs: webhookSettings.retryBaseMs, maxAttempts: webhookSettings.maxAttempts },
      logger: logger.child({ component: 'webhooks' }),
    });
    dispatcher.start();
    const [server, plane] = [app, dataPlane];
    let closing: Promise<void> | undefined;
    return {
      app,
      url,
      db,
      services,
      dataPlane,
      bootstrap,
      close() {
        closing ??= (async () => {
          reporter.stop();
          // Before the database closes: a delivery in flight records its outcome (or stays pending).
          await dispatcher.stop();
          await watch?.stop();
          await server.close();
          await plane.close();
          await db.close();
          await deps.release?.();
        })();
        return closing;
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await (dataPlane ?? engine)?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    await deps.release?.().catch(() => undefined);
    throw error;
  }
}
