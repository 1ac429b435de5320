import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../services.js';

const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

const READY_TIMEOUT_MS = 2000;

/** Load-balancer conventions: live = the process runs; ready = it can serve requests now. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/health/live',
    { config: { permission: 'public' }, schema: { tags: ['health'], summary: 'The process is up', response: { 200: HealthSchema } } },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { permission: 'public' },
      schema: { tags: ['health'], summary: 'The node can serve: its database answers', response: { 200: HealthSchema, 503: HealthSchema } },
    },
    async (_request, reply) => {
      let database: string;
      try {
        await Promise.race([
          services.db.sql`SELECT 1`,
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS).unref()),
        ]);
        database = 'ok';
      } catch (error) {
        database = `unreachable: ${(error as Error).message}`;
      }
      const ready = database === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { database } });
    },
  );
};
