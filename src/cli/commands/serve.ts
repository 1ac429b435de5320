import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config.js';
import type { CommandContext } from '../context.js';
import { CliError, usageError } from '../io.js';
import { TopologyError } from '../../topology/errors.js';

const ENVIRONMENT_HELP = `
Environment (README "Configuration" has the full table):
  PORT, HOST                 HTTP listen address (default 127.0.0.1:8080)
  DATABASE_URL               PostgreSQL to write to; may list several hosts (h1:5432,h2:5432):
                             the writable one with the highest cluster generation is used.
                             Without it an embedded cluster runs in $VERDICT_DATA_DIR/pg
                             (default ./.verdict/pg), kept between runs
  DATABASE_READ_URL          the local replica for reads (default: read from the writer)
  VERDICT_MAX_READ_LAG_MS    replica lag beyond which reads use the writer (default 10000)
  VERDICT_DB_TIMEOUT_MS      connect and statement timeout of database calls (default 5000)
  VERDICT_DB_WRITE_TIMEOUT_MS  abandon a write transaction after this long (default 30000)
  VERDICT_REGION, VERDICT_NODE_ID  this node in the fleet view (default local, <host>-<pid>)
  VERDICT_HEARTBEAT_INTERVAL_MS    fleet heartbeat (default 5000)
  VERDICT_SHUTDOWN_TIMEOUT_MS  exit within this long after SIGTERM/SIGINT (default 10000)
  VERDICT_SNAPSHOT_DIR       last-known-good serving state (default $VERDICT_DATA_DIR/snapshot)
  VERDICT_MAX_STALENESS_MS   /health/ready fails when the serving state is older (default 0: no bound)
  VERDICT_ADMIN_TOKEN        admin API token to register at start (otherwise one is generated
                             and printed once when no admin exists)
  VERDICT_BODY_LIMIT_BYTES   largest request body (default 8 MiB)
  VERDICT_REQUEST_TIMEOUT_MS  a request must arrive whole (headers and body) within this,
                             else 408 and the connection closed (default 30000)
  VERDICT_MAX_CONNECTIONS    open HTTP connections beyond this are dropped (default 10000)
  VERDICT_METRICS_PORT, VERDICT_METRICS_HOST  a listener for /metrics and detailed health
                             without a token (default: none; host 127.0.0.1). On the main
                             port /metrics and health details need an API token
  VERDICT_SYNC_INTERVAL_MS   how often the node polls for deployments (default 250)
  VERDICT_HTTP_ALLOW_HOSTS   hosts function nodes may call (host or host:port, comma-separated;
                             *.example.com for subdomains); default: none
  VERDICT_WEBHOOK_ALLOW_HOSTS  hosts webhooks may call although they resolve to private,
                             loopback or link-local addresses (host = any port, host:port)
  VERDICT_WEBHOOK_TIMEOUT_MS  one webhook POST before it counts as failed (default 10000)
  VERDICT_WEBHOOK_RETRY_BASE_MS, VERDICT_WEBHOOK_MAX_ATTEMPTS  first retry delay (default 10000)
                             and attempts before a delivery fails (default 11, ~24 h)
  VERDICT_WEBHOOK_POLL_MS    look for due deliveries at least this often (default 5000)
  VERDICT_WEBHOOK_OUT_OF_SYNC_MS  report a node serving another release this long after a deploy (default 60000)
  VERDICT_BATCH_MAX_ITEMS    most contexts in one batch evaluation (default 1000)
  VERDICT_TEST_MAX_CASES     most test cases one test run or release gate evaluates (default 1000)
  VERDICT_FUNCTION_CONCURRENCY  evaluations running function-node code at once (default cores-1)
  VERDICT_ENGINE_HOSTS       engine host processes serving evaluations (default: CPUs, at least 2)
  VERDICT_ENGINE_SPARE       keep a started spare engine host (default true)
  VERDICT_EVAL_TIMEOUT_MS    deadline of an evaluation, batch, simulation or save-time check (default 1000)
  VERDICT_EVAL_SLOW_MS       a running evaluation past this moves its decision to the isolated lane (default 500)
  VERDICT_ISOLATION_MS       how long such a decision stays isolated (default 60000)
  VERDICT_EVALUATOR          auto | compiled | zen: decisions compiled to JavaScript where proven
                             equal to zen-engine (default auto)
  VERDICT_MAX_JSON_DEPTH     deepest nesting accepted in contexts and graphs (default 64)
  VERDICT_SIGNING_KEY        Ed25519 private key (PEM file) to sign packages this server exports
  VERDICT_TRUSTED_KEYS       Ed25519 public keys (PEM files, comma-separated) whose signed
                             packages are accepted
  VERDICT_REQUIRE_SIGNED_PACKAGES  refuse unsigned packages (default: true when
                             NODE_ENV=production or VERDICT_TRUSTED_KEYS is set)
  VERDICT_PG_BIN             folder of PostgreSQL server binaries for the embedded cluster
  VERDICT_TOPOLOGY           DR topology file (as dr --topology reads it): the console's Regions
                             screen (GET /api/regions) probes every server in it; without it, it
                             shows what this node's own connections see. Same as --topology
  VERDICT_DRILL_REPORTS      folder of drill reports (dr drill --html/--json) the Regions screen lists
  VERDICT_REGIONS_MAX_STREAMS  open /api/regions/events streams at once (default 32)
  VERDICT_OIDC_ISSUER        single sign-on to the console through this OpenID Connect provider
                             (docs/sso.md); with VERDICT_OIDC_CLIENT_ID, VERDICT_OIDC_CLIENT_SECRET,
                             VERDICT_OIDC_REDIRECT_URL (<public URL>/api/auth/oidc/callback) and
                             VERDICT_OIDC_ROLE_MAP (e.g. rules-admins=admin,*=viewer). Optional:
                             VERDICT_OIDC_SCOPES (default "openid email profile groups"),
                             VERDICT_OIDC_ROLE_CLAIM (default groups), VERDICT_OIDC_NAME_CLAIM
                             (default email,preferred_username,name), VERDICT_OIDC_PROVIDER_NAME
                             (default SSO), VERDICT_OIDC_SESSION_TTL_SECONDS (default 28800)
  LOG_LEVEL                  fatal|error|warn|info|debug|trace|silent (default info)`;

/** The server and its dependencies load only for the commands that run it: every other command starts faster. */
async function serverModules() {
  const [{ connect }, { migrate }, { createLogger }, { ListenError, openDatabaseUrl, startServer }] = await Promise.all([
    import('../../db/connect.js'),
    import('../../db/migrate.js'),
    import('../../logger.js'),
    import('../../server.js'),
  ]);
  return { connect, migrate, createLogger, ListenError, openDatabaseUrl, startServer };
}

function config(ctx: CommandContext, overrides: Readonly<Record<string, string>> = {}) {
  try {
    return loadConfig({ ...ctx.io.env, ...overrides }, ctx.io.cwd);
  } catch (error) {
    // A bad setting is the caller's to fix, like a bad option.
    if (error instanceof ConfigError) throw usageError(error.message);
    throw error;
  }
}

export function registerServeCommands(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('run the Verdict server (management API, docs at /docs)')
    .option('--topology <file>', 'DR topology file whose servers the Regions screen probes (env VERDICT_TOPOLOGY)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (opts: { topology?: string }) => {
      const cfg = config(ctx, opts.topology === undefined ? {} : { VERDICT_TOPOLOGY: opts.topology });
      const { createLogger, ListenError, startServer } = await serverModules();
      const logger = createLogger(cfg.logLevel);
      const announce = (token: string) =>
        ctx.io.stderr(
          [
            '',
            '  First start: an admin API token was generated. It is shown only now; store it.',
            '',
            `    export VERDICT_TOKEN=${token}`,
            '',
            '  Use it with the CLI (VERDICT_TOKEN) or as "Authorization: Bearer <token>".',
            '',
          ].join('\n') + '\n',
        );
      // Runs until a signal, or until the embedded database is gone for good: then exit non-zero,
      // so that a supervisor (systemd, Kubernetes) starts the node again.
      let databaseLost: (error: Error) => void = () => undefined;
      const stop = new Promise<NodeJS.Signals | Error>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        databaseLost = resolve;
      });
      let server;
      try {
        server = await startServer(cfg, logger, { onAdminTokenGenerated: announce, onDatabaseLost: (error) => databaseLost(error) });
      } catch (error) {
        if (error instanceof ListenError) throw new CliError(error.message);
        // A topology file that cannot be read or is wrong: the caller's to fix, like a bad setting.
        if (error instanceof TopologyError) throw usageError(`--topology / VERDICT_TOPOLOGY: ${error.message}`);
        throw error;
      }
      ctx.io.stderr(`Verdict is listening on ${server.url} (API docs: ${server.url}/docs); Ctrl-C stops it\n`);
      const reason = await stop;
      if (reason instanceof Error) {
        logger.error({ err: reason }, 'the embedded database is gone; stopping');
        await server.close().catch(() => undefined);
        throw new CliError(`${reason.message}; stopping (start Verdict again)`);
      }
      logger.info({ signal: reason }, 'shutting down');
      exitWithin(cfg.shutdownTimeoutMs, () => logger.warn({ afterMs: cfg.shutdownTimeoutMs }, 'shutdown did not finish in time (VERDICT_SHUTDOWN_TIMEOUT_MS); exiting now'));
      await server.close();
      logger.info('stopped');
      // Everything the node opened is closed: whatever still holds the process is a leak to not wait on.
      exitWithin(1_000, () => logger.warn('a handle outlived the shutdown; exiting now'));
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit (serve also does this at start)')
    .option('--topology <file>', 'DR topology file whose servers the Regions screen probes (env VERDICT_TOPOLOGY)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (opts: { topology?: string }) => {
      const cfg = config(ctx, opts.topology === undefined ? {} : { VERDICT_TOPOLOGY: opts.topology });
      const { connect, createLogger, migrate, openDatabaseUrl } = await serverModules();
      const logger = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel);
      const handle = await openDatabaseUrl(cfg, logger);
      const sql = connect(handle.url, { max: 1 });
      try {
        const result = await migrate(sql, undefined, (msg) => ctx.io.stdout(`${msg}\n`));
        ctx.io.stdout(
          result.readOnly
            ? `connected to a standby; schema version ${result.schemaVersion} checked, nothing applied\n`
            : `schema at version ${result.schemaVersion} (${result.applied.length} applied now)\n`,
        );
      } finally {
        await sql.end({ timeout: 5 });
        await handle.release();
      }
    });
}

/**
 * Bounds a shutdown: an orchestrator kills a process that outlives its grace period, and a node
 * whose databases stopped answering could otherwise wait on their sockets for minutes. The timer
 * does not keep the process alive: it fires only if something else still does (a request or a
 * database call that does not end, a connection nobody closed), and then ends the process.
 */
function exitWithin(ms: number, warn: () => void): void {
  setTimeout(() => {
    warn();
    process.exit(process.exitCode ?? 0);
  }, ms).unref();
}
