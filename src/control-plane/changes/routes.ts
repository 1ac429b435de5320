import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { ChangesQuerySchema, ChangesSchema } from './service.js';

export const changeRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/changes',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['deployments'],
        summary: 'The global change counter and the change events after a sequence number',
        querystring: ChangesQuerySchema,
        response: { 200: ChangesSchema },
      },
    },
    (request) => services.changes.since(request.query.since, request.query.limit),
  );
};
