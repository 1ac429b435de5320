import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createNode } from '../../src/node.js';
import type { Services } from '../../src/control-plane/services.js';
import type { PackagesOptions } from '../../src/control-plane/packages/service.js';
import type { DataPlane } from '../../src/data-plane/data-plane.js';
import type { Role } from '../../src/control-plane/api-tokens/roles.js';
import type { RegionsOptions } from '../../src/control-plane/regions/routes.js';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../../src/control-plane/webhooks/settings.js';
import { SYSTEM_ACTOR } from '../../src/lib/actor.js';
import type { OidcSettings } from '../../src/console/sso/settings.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestServer {
  readonly url: string;
  /** The metrics listener, when started with `metricsPort`. */
  readonly metricsUrl: string | undefined;
  readonly adminToken: string;
  readonly services: Services;
  /** The test database (absent for replicated servers: use the pair's clusters). */
  readonly db: TestDatabase;
  readonly app: FastifyInstance;
  readonly dataPlane: DataPlane;
  /** A real HTTP request to the server (admin token unless `token` is given; `null` sends none). */
  request<T = any>(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<Reply<T>>;
  tokenFor(role: Role): Promise<string>;
  close(): Promise<void>;
}

// A node is stale after three missed heartbeats: at 100 ms a busy CI machine delayed one past
// that (a flaky "STALE" in the fleet test); 500 ms keeps the waits short and the view stable.
const HEARTBEAT_MS = 500;

/** A Verdict HTTP server on a free loopback port, backed by its own fresh database. */
export async function startTestServer(
  options: {
    bodyLimitBytes?: number;
    httpAllowHosts?: string[];
    batchMaxItems?: number;
    /** VERDICT_TEST_MAX_CASES (default 1000). */
    testMaxCases?: number;
    syncIntervalMs?: number;
    database?: TestDatabase;
    packages?: PackagesOptions;
    /** A writer URL (several hosts allowed) and an optional replica, instead of a test database. */
    replicated?: { writerUrl: string; readerUrl?: string; maxReadLagMs?: number };
    /** Database.transactionTimeoutMs (default 30 s). */
    transactionTimeoutMs?: number;
    /** Identity in the fleet view; a heartbeat is sent every HEARTBEAT_MS. */
    node?: { nodeId: string; region: string };
    /** Engine settings. Tests default to one serving host and no spare (the suite starts many
     * servers on a 2-core machine) and to generous deadlines (CI machines are busy). */
    engine?: { hosts?: number; spare?: boolean; timeoutMs?: number; slowMs?: number; isolationMs?: number; functionConcurrency?: number; maxJsonDepth?: number };
    /** VERDICT_EVALUATOR (default auto). */
    evaluator?: 'auto' | 'compiled' | 'zen';
    /** HTTP server limits (VERDICT_REQUEST_TIMEOUT_MS, VERDICT_MAX_CONNECTIONS). */
    requestTimeoutMs?: number;
    maxConnections?: number;
    /** Start the metrics listener (VERDICT_METRICS_PORT; 0: a free port) on 127.0.0.1. */
    metricsPort?: number;
    /** Where the server's logs go (at level info); by default they are dropped. */
    logStream?: pino.DestinationStream;
    /** The regions view (a topology probe, drill reports, intervals); default: the node's own view. */
    regions?: RegionsOptions;
    /** Webhook delivery settings (VERDICT_WEBHOOK_*); unset ones keep their defaults. */
    webhooks?: Partial<WebhookSettings>;
    /** Single sign-on (VERDICT_OIDC_*, as loadConfig reads them); default: off. */
    oidc?: OidcSettings;
  } = {},
): Promise<TestServer> {
  const db = options.database ?? (options.replicated ? undefined : await createTestDatabase());
  const logger = options.logStream ? pino({ level: 'info' }, options.logStream) : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const node = await createNode(
    {
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: options.bodyLimitBytes ?? 8 * 1024 * 1024,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
      httpAllowHosts: options.httpAllowHosts ?? [],
      engineHosts: options.engine?.hosts ?? 1,
      engineSpare: options.engine?.spare ?? false,
      evalTimeoutMs: options.engine?.timeoutMs ?? 10_000,
      evalSlowMs: options.engine?.slowMs ?? 5_000,
      isolationMs: options.engine?.isolationMs ?? 60_000,
      functionConcurrency: options.engine?.functionConcurrency,
      maxJsonDepth: options.engine?.maxJsonDepth ?? 64,
      ...(options.evaluator ? { evaluator: options.evaluator } : {}),
      syncIntervalMs: options.syncIntervalMs ?? 50,
      batchMaxItems: options.batchMaxItems ?? 1000,
      ...(options.testMaxCases === undefined ? {} : { testMaxCases: options.testMaxCases }),
      nodeId: options.node?.nodeId ?? `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      region: options.node?.region ?? 'test',
      heartbeatIntervalMs: HEARTBEAT_MS,
      webhooks: { ...DEFAULT_WEBHOOK_SETTINGS, ...options.webhooks },
      ...(options.oidc ? { oidc: options.oidc } : {}),
    },
    {
      logger,
      database: {
        writerUrl: options.replicated?.writerUrl ?? db!.url,
        readerUrl: options.replicated?.readerUrl,
        maxReadLagMs: options.replicated?.maxReadLagMs ?? 10_000,
        timeoutMs: 3000,
        poolSize: 4,
        ...(options.transactionTimeoutMs === undefined ? {} : { transactionTimeoutMs: options.transactionTimeoutMs }),
      },
      packages: options.packages,
      regions: options.regions,
      // Tests that need the generation watch start one themselves.
      watchGeneration: false,
    },
  );
  const { app, url, services, dataPlane } = node;
  // A second node on the same database gets an admin token of its own.
  const adminToken =
    node.bootstrap?.kind === 'generated' ? node.bootstrap.token : (await services.apiTokens.create(SYSTEM_ACTOR, { name: 'bootstrap admin', role: 'admin' })).token;
  const tokens = new Map<Role, string>();
  const server: TestServer = {
    url,
    metricsUrl: app.metricsUrl,
    adminToken,
    services,
    db: db as TestDatabase,
    app,
    dataPlane,
    async request(method, path, opts = {}) {
      const token = opts.token === undefined ? adminToken : opts.token;
      const headers: Record<string, string> = { ...opts.headers };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | Buffer | undefined;
      if (Buffer.isBuffer(opts.body)) {
        body = opts.body;
        headers['content-type'] ??= 'application/zip';
      } else if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      if ((response.headers.get('content-type') ?? '').startsWith('application/zip')) {
        return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) as any };
      }
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed as any };
    },
    async tokenFor(role) {
      const cached = tokens.get(role);
      if (cached) return cached;
      const created = await services.apiTokens.create(SYSTEM_ACTOR, { name: `${role} (test)`, role });
      tokens.set(role, created.token);
      return created.token;
    },
    async close() {
      await node.close();
      await db?.drop();
    },
  };
  return server;
}
