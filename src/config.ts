import { EVALUATOR_MODES, type EvaluatorMode } from './data-plane/serving/evaluators.js';
import { availableParallelism, hostname } from 'node:os';
import path from 'node:path';
import { DEFAULT_SESSION_TTL_SECONDS, oidcSettingsFromEnv, type OidcSettings } from './console/sso/settings.js';
import { DEFAULT_APPLY_LIMITS, MAX_ENTRY_LIMIT_BYTES, MAX_EXPANDED_LIMIT_BYTES, type ApplyLimits } from './control-plane/packages/limits.js';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './control-plane/webhooks/settings.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Postgres to use; when absent, `serve` starts an embedded cluster under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Where the embedded cluster and other local state live (default ./.verdict). */
  readonly dataDir: string;
  /** Admin API token to make sure exists at start (bootstrap for automation). */
  readonly adminToken: string | undefined;
  readonly logLevel: LogLevel;
  /** Largest accepted request body, in bytes. */
  readonly bodyLimitBytes: number;
  /** A request (headers and body) not fully received after this long is answered 408 and its connection closed. */
  readonly requestTimeoutMs: number;
  /** Open HTTP connections beyond this are dropped on arrival. */
  readonly maxConnections: number;
  /** A second listener for /metrics and detailed health, without tokens (undefined: none). */
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  /** How often a node polls the change counter (ms). */
  readonly syncIntervalMs: number;
  /** Hosts function nodes may call over HTTP (host or host:port; `*.example.com` for subdomains). Empty: none. */
  readonly httpAllowHosts: readonly string[];
  /** Most contexts accepted in one batch evaluation. */
  readonly batchMaxItems: number;
  /** Most test cases one test run (or release gate) evaluates. */
  readonly testMaxCases: number;
  /** Concurrent evaluations that may run function nodes (undefined: cores - 1, at least 1). */
  readonly functionConcurrency: number | undefined;
  /** Engine host processes serving evaluations (zen-engine runs in child processes). */
  readonly engineHosts: number;
  /** Keep a started spare engine host ready to replace a stopped one. */
  readonly engineSpare: boolean;
  /** Deadline of one evaluation, batch, simulation or expression check (ms). */
  readonly evalTimeoutMs: number;
  /** An evaluation still running after this long moves its decision to the isolated lane (ms). */
  readonly evalSlowMs: number;
  /** How long a decision that hit a bound stays in the isolated lane (ms). */
  readonly isolationMs: number;
  /** Deepest nesting accepted in contexts and decision contents (the engine crashes on ~4,000). */
  readonly maxJsonDepth: number;
  /** Compiled JavaScript evaluation where proven equal to zen-engine (auto), always where it compiles, or zen-engine only. */
  readonly evaluator: EvaluatorMode;
  /** Named in the manifests of packages this instance exports (default: the host name). */
  readonly instanceName: string;
  /** Ed25519 private key (PEM file) the server signs exported packages with. */
  readonly signingKeyFile: string | undefined;
  /** Ed25519 public keys (PEM files) whose signatures applied packages may carry. */
  readonly trustedKeyFiles: readonly string[];
  /** Refuse unsigned packages (default: on when NODE_ENV=production or trusted keys are set). */
  readonly requireSignedPackages: boolean;
  /** Largest release package accepted for apply, in bytes. */
  readonly packageLimitBytes: number;
  /** What applying one package may cost: expanded size, size per file, check time, applies waiting. */
  readonly packageApply: ApplyLimits;
  /** This node's region (fleet view, DR). */
  readonly region: string;
  /** Unique id of this node in the fleet. */
  readonly nodeId: string;
  /** The local replica to read from (optional). */
  readonly databaseReadUrl: string | undefined;
  /** Reads fall back to the writer when the replica lags more than this. */
  readonly maxReadLagMs: number;
  /** Connect and statement timeout for database calls. */
  readonly databaseTimeoutMs: number;
  /** A write transaction unfinished after this long is abandoned and the primary looked for again. */
  readonly databaseWriteTimeoutMs: number;
  /** Where the last-known-good serving snapshot is kept (static stability). */
  readonly snapshotDir: string;
  /** /health/ready answers 503 when the serving state is older than this (0: never). */
  readonly maxStalenessMs: number;
  /** How often the node reports itself to the fleet table. */
  readonly heartbeatIntervalMs: number;
  /** After SIGTERM/SIGINT the process exits within this long, even with databases unreachable. */
  readonly shutdownTimeoutMs: number;
  /** A DR topology file (as `verdict dr --topology` reads): the regions view probes every server in it. */
  readonly topologyFile: string | undefined;
  /** Folder of drill reports (`<name>.html` + `<name>.json`) the regions view lists. */
  readonly drillReportsDir: string | undefined;
  /** Regions event streams open at once on this node. */
  readonly regionsMaxStreams: number;
  /** Webhook deliveries: URL policy, timeout, retries, polling (VERDICT_WEBHOOK_*). */
  readonly webhooks: WebhookSettings;
  /** Single sign-on to the web console through an OpenID Connect provider (VERDICT_OIDC_*); undefined: off. */
  readonly oidc: OidcSettings | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function databaseUrl(env: Env, name = 'DATABASE_URL'): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://`);
  }
  return raw;
}

function name(env: Env, key: string, fallback: string): string {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(raw)) throw new ConfigError(`${key} must be letters, digits, '.', '_' or '-' (got "${raw}")`);
  return raw;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

function hostList(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const host = entry.trim().toLowerCase();
    if (!/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/.test(host)) {
      throw new ConfigError(`${name} entries must be host or host:port, optionally *.domain (got "${entry.trim()}")`);
    }
    return host;
  });
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads configuration from the environment once, fails fast on bad values, and freezes it. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const adminToken = env.VERDICT_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 24) {
    throw new ConfigError('VERDICT_ADMIN_TOKEN must be at least 24 characters long');
  }
  return Object.freeze({
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(cwd, env.VERDICT_DATA_DIR || '.verdict'),
    adminToken,
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    bodyLimitBytes: integer(env, 'VERDICT_BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    requestTimeoutMs: integer(env, 'VERDICT_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    maxConnections: integer(env, 'VERDICT_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
    metricsPort: env.VERDICT_METRICS_PORT ? integer(env, 'VERDICT_METRICS_PORT', 0, 0, 65535) : undefined,
    metricsHost: env.VERDICT_METRICS_HOST || '127.0.0.1',
    syncIntervalMs: integer(env, 'VERDICT_SYNC_INTERVAL_MS', 250, 10, 3_600_000),
    httpAllowHosts: Object.freeze(hostList(env, 'VERDICT_HTTP_ALLOW_HOSTS')),
    batchMaxItems: integer(env, 'VERDICT_BATCH_MAX_ITEMS', 1000, 1, 100_000),
    testMaxCases: integer(env, 'VERDICT_TEST_MAX_CASES', 1000, 1, 100_000),
    functionConcurrency: env.VERDICT_FUNCTION_CONCURRENCY ? integer(env, 'VERDICT_FUNCTION_CONCURRENCY', 1, 1, 1024) : undefined,
    engineHosts: integer(env, 'VERDICT_ENGINE_HOSTS', Math.max(2, availableParallelism()), 1, 64),
    engineSpare: boolean(env, 'VERDICT_ENGINE_SPARE', true),
    evalTimeoutMs: integer(env, 'VERDICT_EVAL_TIMEOUT_MS', 1_000, 50, 600_000),
    evalSlowMs: integer(env, 'VERDICT_EVAL_SLOW_MS', 500, 10, 600_000),
    isolationMs: integer(env, 'VERDICT_ISOLATION_MS', 60_000, 0, 86_400_000),
    maxJsonDepth: integer(env, 'VERDICT_MAX_JSON_DEPTH', 64, 4, 2_000),
    evaluator: oneOf(env, 'VERDICT_EVALUATOR', 'auto', EVALUATOR_MODES),
    instanceName: env.VERDICT_INSTANCE_NAME || hostname(),
    signingKeyFile: env.VERDICT_SIGNING_KEY ? path.resolve(cwd, env.VERDICT_SIGNING_KEY) : undefined,
    trustedKeyFiles: Object.freeze((env.VERDICT_TRUSTED_KEYS ?? '').split(',').map((p) => p.trim()).filter(Boolean).map((p) => path.resolve(cwd, p))),
    // Trusting signers means wanting signatures: on by default then, and in production.
    requireSignedPackages: boolean(env, 'VERDICT_REQUIRE_SIGNED_PACKAGES', env.NODE_ENV === 'production' || Boolean(env.VERDICT_TRUSTED_KEYS?.trim())),
    packageLimitBytes: integer(env, 'VERDICT_PACKAGE_LIMIT_BYTES', 64 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    packageApply: Object.freeze({
      expandedLimitBytes: integer(env, 'VERDICT_PACKAGE_EXPANDED_LIMIT_BYTES', DEFAULT_APPLY_LIMITS.expandedLimitBytes, 1024, MAX_EXPANDED_LIMIT_BYTES),
      entryLimitBytes: integer(env, 'VERDICT_PACKAGE_ENTRY_LIMIT_BYTES', DEFAULT_APPLY_LIMITS.entryLimitBytes, 1024, MAX_ENTRY_LIMIT_BYTES),
      checkTimeoutMs: integer(env, 'VERDICT_PACKAGE_CHECK_TIMEOUT_MS', DEFAULT_APPLY_LIMITS.checkTimeoutMs, 1000, 3_600_000),
      queue: integer(env, 'VERDICT_PACKAGE_APPLY_QUEUE', DEFAULT_APPLY_LIMITS.queue, 0, 100),
    }),
    region: name(env, 'VERDICT_REGION', 'local'),
    nodeId: name(env, 'VERDICT_NODE_ID', `${hostname()}-${process.pid}`),
    databaseReadUrl: databaseUrl(env, 'DATABASE_READ_URL'),
    maxReadLagMs: integer(env, 'VERDICT_MAX_READ_LAG_MS', 10_000, 0, 86_400_000),
    databaseTimeoutMs: integer(env, 'VERDICT_DB_TIMEOUT_MS', 5_000, 100, 600_000),
    databaseWriteTimeoutMs: integer(env, 'VERDICT_DB_WRITE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    snapshotDir: path.resolve(cwd, env.VERDICT_SNAPSHOT_DIR || path.join(env.VERDICT_DATA_DIR || '.verdict', 'snapshot')),
    maxStalenessMs: integer(env, 'VERDICT_MAX_STALENESS_MS', 0, 0, 30 * 86_400_000),
    heartbeatIntervalMs: integer(env, 'VERDICT_HEARTBEAT_INTERVAL_MS', 5_000, 100, 3_600_000),
    shutdownTimeoutMs: integer(env, 'VERDICT_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    topologyFile: env.VERDICT_TOPOLOGY ? path.resolve(cwd, env.VERDICT_TOPOLOGY) : undefined,
    drillReportsDir: env.VERDICT_DRILL_REPORTS ? path.resolve(cwd, env.VERDICT_DRILL_REPORTS) : undefined,
    regionsMaxStreams: integer(env, 'VERDICT_REGIONS_MAX_STREAMS', 32, 0, 10_000),
    webhooks: Object.freeze({
      allowHosts: Object.freeze(hostList(env, 'VERDICT_WEBHOOK_ALLOW_HOSTS')),
      timeoutMs: integer(env, 'VERDICT_WEBHOOK_TIMEOUT_MS', DEFAULT_WEBHOOK_SETTINGS.timeoutMs, 100, 120_000),
      retryBaseMs: integer(env, 'VERDICT_WEBHOOK_RETRY_BASE_MS', DEFAULT_WEBHOOK_SETTINGS.retryBaseMs, 10, 3_600_000),
      maxAttempts: integer(env, 'VERDICT_WEBHOOK_MAX_ATTEMPTS', DEFAULT_WEBHOOK_SETTINGS.maxAttempts, 1, 50),
      pollMs: integer(env, 'VERDICT_WEBHOOK_POLL_MS', DEFAULT_WEBHOOK_SETTINGS.pollMs, 20, 600_000),
      outOfSyncMs: integer(env, 'VERDICT_WEBHOOK_OUT_OF_SYNC_MS', DEFAULT_WEBHOOK_SETTINGS.outOfSyncMs, 100, 86_400_000),
    }),
    oidc: oidcSettingsFromEnv(
      env,
      (message) => {
        throw new ConfigError(message);
      },
      integer(env, 'VERDICT_OIDC_SESSION_TTL_SECONDS', DEFAULT_SESSION_TTL_SECONDS, 300, 30 * 86_400),
    ),
  });
}
