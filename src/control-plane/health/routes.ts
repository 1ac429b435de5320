import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { VERSION } from '../../version.js';
import { AppError } from '../../errors.js';
import type { DataPlane } from '../../data-plane/data-plane.js';

const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

const RoleSchema = Type.Object({
  role: Type.Union([Type.Literal('primary'), Type.Literal('replica'), Type.Literal('unknown')]),
  lagMs: Type.Union([Type.Number(), Type.Null()]),
  lagBytes: Type.Union([Type.Number(), Type.Null()]),
  detail: Type.String(),
});

type LocalRole = { role: 'primary' | 'replica' | 'unknown'; lagMs: number | null; lagBytes: number | null; detail: string };

const UNITS: Record<string, { kind: 'bytes' | 'ms'; factor: number }> = {
  '': { kind: 'bytes', factor: 1 },
  b: { kind: 'bytes', factor: 1 },
  kb: { kind: 'bytes', factor: 1024 },
  mb: { kind: 'bytes', factor: 1024 ** 2 },
  gb: { kind: 'bytes', factor: 1024 ** 3 },
  ms: { kind: 'ms', factor: 1 },
  s: { kind: 'ms', factor: 1000 },
  min: { kind: 'ms', factor: 60_000 },
};

/**
 * `?lag=` as Patroni reads it: a plain number or `16kB`/`16MB`/`1GB` is WAL bytes; Verdict also
 * takes time, `500ms`/`2s`/`1min`.
 */
export function parseLagBound(text: string): { kind: 'bytes' | 'ms'; value: number } | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  return match && unit ? { kind: unit.kind, value: Number(match[1]) * unit.factor } : undefined;
}

/** What anyone may learn about the local database's role: no host, no error text. */
const PUBLIC_ROLE_DETAIL: Record<LocalRole['role'], string> = {
  primary: 'the local database is the primary',
  replica: 'the local database is a replica',
  unknown: 'the role of the local database is unknown',
};

export interface HealthRoutesOptions {
  readonly services: Services;
  readonly dataPlane: DataPlane;
  /**
   * Every caller gets the details, without a token: the metrics listener (VERDICT_METRICS_PORT),
   * which operators keep off public networks. Elsewhere details need an API token.
   */
  readonly trusted?: boolean;
}

/**
 * Load-balancer conventions: live = the process runs; ready = it can serve evaluations now (a
 * loaded serving state, fresh enough when VERDICT_MAX_STALENESS_MS is set; a reachable database is
 * not needed: evaluation is served from memory). /health/primary and /health/replica answer about
 * this node's *local* database, 200 or 503, the way Patroni's endpoints do, so HAProxy can route
 * writers and readers by region.
 *
 * Load balancers send no token, and need only the status code: anonymous callers get the status
 * and coarse checks. Details (database hosts and errors, projects, environments, releases) go to
 * callers with an API token that may read, and to everyone on the metrics listener. /metrics
 * names projects, environments and decisions: a token (or the metrics listener) is required.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { services, dataPlane, trusted = false }) => {
  // 'details': anonymous callers pass; one that sends a token must hold this permission.
  const quiet = { config: { permission: 'public' as const, details: 'read' as const }, logLevel: 'warn' as const };
  const detailed = (request: FastifyRequest): boolean => trusted || request.actor !== undefined;

  /** When the served state was last known current: the last sync, else the snapshot's time. */
  const confirmedAt = (): Date | undefined => {
    const sync = dataPlane.sync.status;
    return sync.lastSuccessAt ?? (sync.snapshotTakenAt ? new Date(sync.snapshotTakenAt) : undefined);
  };

  /** The local database: the replica when one is configured, else the writer. */
  const localRole = (): LocalRole => {
    const status = services.db.status();
    const unknown = (detail: string): LocalRole => ({ role: 'unknown', lagMs: null, lagBytes: null, detail });
    if (status.splitBrain) return unknown(`split brain: ${status.splitBrain}`);
    if (status.reader) {
      const reader = status.reader;
      if (!reader.healthy && reader.error) return unknown(`${reader.host}: ${reader.error}`);
      return reader.standby
        ? { role: 'replica', lagMs: reader.lagMs, lagBytes: reader.lagBytes, detail: `replica ${reader.host}` }
        : { role: 'primary', lagMs: 0, lagBytes: 0, detail: `${reader.host} is the primary (cluster generation ${reader.generation ?? 'unknown'})` };
    }
    // Without a replica the local database is the writer, if it is the newest generation's primary.
    const writer = status.writer;
    if (writer.host && dataPlane.sync.status.consecutiveFailures === 0 && (writer.generation ?? 0) >= status.highestGeneration) {
      return { role: 'primary', lagMs: 0, lagBytes: 0, detail: `primary ${writer.host} (cluster generation ${writer.generation ?? 'unknown'})` };
    }
    return unknown(dataPlane.sync.status.lastError ?? (writer.host ? `${writer.host} is not the newest primary` : 'no primary reached yet'));
  };

  app.get('/health/live', { ...quiet, schema: { tags: ['health'], summary: 'The process is up', response: { 200: HealthSchema } } }, () => ({
    status: 'ok' as const,
  }));

  /** Readiness and its checks; `detailed` adds counters, error messages and release ids. */
  const readiness = (detailed: boolean): { ready: boolean; checks: Record<string, string> } => {
    const state = dataPlane.runtime.state;
    const sync = dataPlane.sync.status;
    const confirmed = confirmedAt();
    const ageMs = confirmed ? Date.now() - confirmed.getTime() : undefined;
    const checks: Record<string, string> = {
      servingState: !state ? 'not loaded' : detailed ? `loaded from the ${sync.source} (change counter ${state.changeCounter})` : 'loaded',
      database: sync.consecutiveFailures === 0 ? 'ok' : detailed ? `unreachable for ${sync.consecutiveFailures} polls: ${sync.lastError ?? ''}` : 'unreachable',
      lastSync: ageMs === undefined ? 'never' : `${(ageMs / 1000).toFixed(1)} s ago`,
    };
    if (sync.failedReleases.size > 0) {
      checks.releases = detailed
        ? [...sync.failedReleases].map(([id, error]) => `cannot load ${id}: ${error}`).join('; ')
        : `${sync.failedReleases.size} release(s) cannot be loaded`;
    }
    const bound = dataPlane.node.maxStalenessMs;
    const stale = bound > 0 && (ageMs === undefined || ageMs > bound);
    if (stale) checks.staleness = `the serving state was last confirmed ${ageMs === undefined ? 'never' : `${Math.round(ageMs)} ms ago`}; the bound is ${bound} ms`;
    const engine = dataPlane.engine.status();
    checks.engine = `${engine.serving.ready} of ${engine.serving.hosts} serving engine hosts ready${detailed ? ` (${engine.serving.restarts} restarts)` : ''}`;
    const gate = engine.functionGate;
    // Saturated is reported, not made unready: every slot frees itself by its deadline, and a
    // load balancer dropping the node for one tenant's function nodes would hurt every tenant.
    checks.functionGate =
      gate.running >= gate.concurrency && gate.waiting > 0
        ? `saturated: ${gate.running} of ${gate.concurrency} slots busy, ${gate.waiting} waiting (oldest ${gate.oldestWaitMs} ms)`
        : `${gate.running} of ${gate.concurrency} slots busy`;
    if (engine.isolatedDecisions.length > 0) {
      checks.isolatedDecisions = detailed
        ? engine.isolatedDecisions.map((d) => `${d.decision} (${d.reason})`).join(', ')
        : `${engine.isolatedDecisions.length} decision(s) run isolated after hitting a time or crash bound`;
    }
    return { ready: state !== undefined && !stale && engine.serving.ready > 0, checks };
  };

  /** The local role as anyone may see it: the detail names no host and no error. */
  const visibleRole = (request: FastifyRequest): LocalRole => {
    const role = localRole();
    return detailed(request) ? role : { ...role, detail: PUBLIC_ROLE_DETAIL[role.role] };
  };

  app.get(
    '/health/ready',
    { ...quiet, schema: { tags: ['health'], summary: 'The node can serve evaluations', response: { 200: HealthSchema, 503: HealthSchema } } },
    async (request, reply) => {
      const { ready, checks } = readiness(detailed(request));
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );

  // HAProxy's `option httpchk` sends OPTIONS by default (Patroni answers it too); HEAD comes with GET.
  app.route({
    method: ['GET', 'OPTIONS'],
    url: '/health/primary',
    ...quiet,
    schema: { tags: ['health'], summary: "200 when this node's local database is the primary (HAProxy)", response: { 200: RoleSchema, 503: RoleSchema } },
    handler: async (request, reply) => {
      const role = visibleRole(request);
      return reply.status(role.role === 'primary' ? 200 : 503).send(role);
    },
  });

  app.route({
    method: ['GET', 'OPTIONS'],
    url: '/health/replica',
    ...quiet,
    schema: {
      tags: ['health'],
      summary: "200 when this node's local database is a replica within the lag bound (HAProxy)",
      querystring: Type.Object({
        lag: Type.Optional(
          Type.String({ description: 'Largest acceptable lag: WAL bytes as Patroni reads it (`1048576`, `16MB`) or time (`500ms`, `2s`). Default VERDICT_MAX_READ_LAG_MS.' }),
        ),
      }),
      response: { 200: RoleSchema, 503: RoleSchema },
    },
    handler: async (request, reply) => {
      const bound = request.query.lag === undefined ? { kind: 'ms' as const, value: dataPlane.node.maxReadLagMs } : parseLagBound(request.query.lag);
      if (!bound) throw new AppError('bad-request', `lag must be bytes (1048576, 16MB) or a time (500ms, 2s), not '${request.query.lag}'`);
      const role = visibleRole(request);
      const lag = bound.kind === 'ms' ? role.lagMs : role.lagBytes;
      const ok = role.role === 'replica' && lag !== null && lag <= bound.value;
      return reply.status(ok ? 200 : 503).send(role);
    },
  });

  app.get(
    '/health',
    {
      ...quiet,
      schema: {
        tags: ['health'],
        summary: "This node's state: status and role; with an API token also lag, generation, database hosts and what it serves",
      },
    },
    async (request) => {
      const state = dataPlane.runtime.state;
      const sync = dataPlane.sync.status;
      const status = readiness(false).ready ? ('ready' as const) : ('unavailable' as const);
      if (!detailed(request)) return { status, role: localRole().role };
      const database = services.db.status();
      return {
        status,
        role: localRole().role,
        node: { id: dataPlane.node.nodeId, region: dataPlane.node.region, version: VERSION },
        engine: dataPlane.engine.status(),
        database: {
          local: localRole(),
          writer: database.writer,
          reader: database.reader ?? null,
          highestGeneration: database.highestGeneration,
          splitBrain: database.splitBrain ?? null,
          fenced: database.fenced,
        },
        serving: {
          source: sync.source,
          snapshotTakenAt: sync.snapshotTakenAt ?? null,
          changeCounter: state?.changeCounter ?? null,
          lastSyncAt: sync.lastSuccessAt?.toISOString() ?? null,
          syncError: sync.lastError ?? null,
          environments: [...(state?.environments.values() ?? [])].map((e) => ({
            project: e.projectKey,
            environment: e.environmentKey,
            release: e.release ? { id: e.release.id, label: e.release.label } : null,
          })),
          failedReleases: Object.fromEntries(sync.failedReleases),
        },
      };
    },
  );

  // Labels name projects, environments, decisions and releases. With the database down a token
  // cannot be checked: scrape the metrics listener, which needs none, to see outages.
  app.get(
    '/metrics',
    { config: { permission: 'read' }, logLevel: 'warn', schema: { tags: ['health'], summary: 'Prometheus metrics', hide: true } },
    async (_request, reply) => reply.type(dataPlane.metrics.registry.contentType).send(await dataPlane.metrics.registry.metrics()),
  );
};
