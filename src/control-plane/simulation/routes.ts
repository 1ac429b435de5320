import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import { SimulateBodySchema, SimulateQuerySchema, SimulateResponseSchema } from './schemas.js';

/** The editors' simulator: an API-token (management) route, never on the hot path. */
export const simulatorRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['evaluation'];
  app.post(
    '/api/projects/:project/simulate',
    {
      config: { permission: 'decision:simulate' },
      schema: {
        tags,
        summary: 'Evaluate a draft graph or a stored decision version, with trace (editors)',
        description: 'Without trace the graph runs compiled when the compiler accepts it; the Verdict-Engine header says which engine answered (compiled or zen). ?engine=zen always uses zen-engine.',
        params: ProjectParamsSchema,
        body: SimulateBodySchema,
        querystring: SimulateQuerySchema,
        response: { 200: SimulateResponseSchema },
      },
    },
    async (request, reply) => {
      const { engine, ...answer } = await services.simulator.simulate(request.params.project, request.body, request.query.engine ?? 'auto');
      // Which engine answered goes in a header: the body keeps the GoRules simulator's shape.
      reply.header('verdict-engine', engine);
      return answer;
    },
  );
};
