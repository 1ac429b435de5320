import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../services.js';
import type { DataPlane } from '../evaluation/data-plane.js';

const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

/**
 * Load-balancer conventions: live = the process runs; ready = it can serve evaluations now, which
 * needs a loaded serving state, not a reachable database (evaluation is served from memory).
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services; dataPlane: DataPlane }> = async (app, { dataPlane }) => {
  app.get(
    '/health/live',
    { config: { permission: 'public' }, logLevel: 'warn', schema: { tags: ['health'], summary: 'The process is up', response: { 200: HealthSchema } } },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { permission: 'public' },
      logLevel: 'warn',
      schema: { tags: ['health'], summary: 'The node can serve evaluations', response: { 200: HealthSchema, 503: HealthSchema } },
    },
    async (_request, reply) => {
      const state = dataPlane.runtime.state;
      const sync = dataPlane.sync.status;
      const age = sync.lastSuccessAt ? ((Date.now() - sync.lastSuccessAt.getTime()) / 1000).toFixed(1) : undefined;
      const checks: Record<string, string> = {
        servingState: state ? `loaded (change counter ${state.changeCounter}, ${state.loadedAt.toISOString()})` : 'not loaded',
        database: sync.consecutiveFailures === 0 ? 'ok' : `unreachable for ${sync.consecutiveFailures} polls: ${sync.lastError ?? ''}`,
        lastSync: age === undefined ? 'never' : `${age} s ago`,
      };
      if (sync.failedReleases.size > 0) {
        checks.releases = [...sync.failedReleases].map(([id, error]) => `cannot load ${id}: ${error}`).join('; ');
      }
      const ready = state !== undefined;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );

  app.get(
    '/metrics',
    { config: { permission: 'public' }, logLevel: 'warn', schema: { tags: ['health'], summary: 'Prometheus metrics', hide: true } },
    async (_request, reply) => reply.type(dataPlane.metrics.registry.contentType).send(await dataPlane.metrics.registry.metrics()),
  );
};
