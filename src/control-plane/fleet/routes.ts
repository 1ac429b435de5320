import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { FleetQuerySchema, FleetSchema } from './schemas.js';

export const fleetRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/fleet',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['fleet'],
        summary: 'Every node in every region, and which release each serves per environment',
        querystring: FleetQuerySchema,
        response: { 200: FleetSchema },
      },
    },
    (request) => services.fleet.view(request.query),
  );
};
