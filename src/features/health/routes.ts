import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../services.js';
import { VERSION } from '../../version.js';
import type { DataPlane } from '../evaluation/data-plane.js';

const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

const RoleSchema = Type.Object({
  role: Type.Union([Type.Literal('primary'), Type.Literal('replica'), Type.Literal('unknown')]),
  lagMs: Type.Union([Type.Number(), Type.Null()]),
  detail: Type.String(),
});

/**
 * Load-balancer conventions: live = the process runs; ready = it can serve evaluations now (a
 * loaded serving state, fresh enough when VERDICT_MAX_STALENESS_MS is set; a reachable database is
 * not needed: evaluation is served from memory). /health/primary and /health/replica answer about
 * this node's *local* database, 200 or 503, the way Patroni's endpoints do, so HAProxy can route
 * writers and readers by region.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services; dataPlane: DataPlane }> = async (app, { services, dataPlane }) => {
  const quiet = { config: { permission: 'public' as const }, logLevel: 'warn' as const };

  /** When the served state was last known current: the last sync, else the snapshot's time. */
  const confirmedAt = (): Date | undefined => {
    const sync = dataPlane.sync.status;
    return sync.lastSuccessAt ?? (sync.snapshotTakenAt ? new Date(sync.snapshotTakenAt) : undefined);
  };

  /** The local database: the replica when one is configured, else the writer. */
  const localRole = (): { role: 'primary' | 'replica' | 'unknown'; lagMs: number | null; detail: string } => {
    const status = services.db.status();
    if (status.reader) {
      if (!status.reader.healthy && status.reader.error) return { role: 'unknown', lagMs: null, detail: `replica ${status.reader.host} unreachable: ${status.reader.error}` };
      return status.reader.standby
        ? { role: 'replica', lagMs: status.reader.lagMs, detail: `replica ${status.reader.host}` }
        : { role: 'primary', lagMs: 0, detail: `${status.reader.host} is a primary` };
    }
    if (status.writer.host && dataPlane.sync.status.consecutiveFailures === 0) return { role: 'primary', lagMs: 0, detail: `primary ${status.writer.host}` };
    return { role: 'unknown', lagMs: null, detail: dataPlane.sync.status.lastError ?? 'no database reached yet' };
  };

  app.get('/health/live', { ...quiet, schema: { tags: ['health'], summary: 'The process is up', response: { 200: HealthSchema } } }, () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/health/ready',
    { ...quiet, schema: { tags: ['health'], summary: 'The node can serve evaluations', response: { 200: HealthSchema, 503: HealthSchema } } },
    async (_request, reply) => {
      const state = dataPlane.runtime.state;
      const sync = dataPlane.sync.status;
      const confirmed = confirmedAt();
      const ageMs = confirmed ? Date.now() - confirmed.getTime() : undefined;
      const checks: Record<string, string> = {
        servingState: state ? `loaded from the ${sync.source} (change counter ${state.changeCounter})` : 'not loaded',
        database: sync.consecutiveFailures === 0 ? 'ok' : `unreachable for ${sync.consecutiveFailures} polls: ${sync.lastError ?? ''}`,
        lastSync: ageMs === undefined ? 'never' : `${(ageMs / 1000).toFixed(1)} s ago`,
      };
      if (sync.failedReleases.size > 0) {
        checks.releases = [...sync.failedReleases].map(([id, error]) => `cannot load ${id}: ${error}`).join('; ');
      }
      const bound = dataPlane.node.maxStalenessMs;
      const stale = bound > 0 && (ageMs === undefined || ageMs > bound);
      if (stale) checks.staleness = `the serving state was last confirmed ${ageMs === undefined ? 'never' : `${Math.round(ageMs)} ms ago`}; the bound is ${bound} ms`;
      const ready = state !== undefined && !stale;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );

  app.get(
    '/health/primary',
    { ...quiet, schema: { tags: ['health'], summary: "200 when this node's local database is the primary (HAProxy)", response: { 200: RoleSchema, 503: RoleSchema } } },
    async (_request, reply) => {
      const role = localRole();
      return reply.status(role.role === 'primary' ? 200 : 503).send(role);
    },
  );

  app.get(
    '/health/replica',
    {
      ...quiet,
      schema: {
        tags: ['health'],
        summary: "200 when this node's local database is a replica within the lag bound (HAProxy)",
        querystring: Type.Object({ lag: Type.Optional(Type.Integer({ minimum: 0, description: 'Largest acceptable lag in ms (default VERDICT_MAX_READ_LAG_MS)' })) }),
        response: { 200: RoleSchema, 503: RoleSchema },
      },
    },
    async (request, reply) => {
      const role = localRole();
      const bound = request.query.lag ?? dataPlane.node.maxReadLagMs;
      const ok = role.role === 'replica' && role.lagMs !== null && role.lagMs <= bound;
      return reply.status(ok ? 200 : 503).send(role);
    },
  );

  app.get('/health', { ...quiet, schema: { tags: ['health'], summary: "This node's state in JSON: role, lag, generation, what it serves" } }, async () => {
    const state = dataPlane.runtime.state;
    const sync = dataPlane.sync.status;
    const database = services.db.status();
    return {
      node: { id: dataPlane.node.nodeId, region: dataPlane.node.region, version: VERSION },
      database: { local: localRole(), writer: database.writer, reader: database.reader ?? null, highestGeneration: database.highestGeneration, fenced: database.fenced },
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
      },
    };
  });

  app.get('/metrics', { ...quiet, schema: { tags: ['health'], summary: 'Prometheus metrics', hide: true } }, async (_request, reply) =>
    reply.type(dataPlane.metrics.registry.contentType).send(await dataPlane.metrics.registry.metrics()),
  );
};
