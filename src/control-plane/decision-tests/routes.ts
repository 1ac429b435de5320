import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { emptyBodyAsObject } from '../../lib/empty-body.js';
import type { Services } from '../services.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import { RunTestsBodySchema, TestRunSchema } from './schemas.js';

/** Aborted when the client goes away before its answer: a run stops instead of working for no one. */
function untilClientLeaves(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

export const decisionTestRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/projects/:project/tests/run',
    {
      // Read-only: the cases run in the engine's isolated lane and nothing is written.
      config: { permission: 'read' },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ['decisions'],
        summary: 'Run the test cases stored in decisions (their `tests`): the latest saved versions, or a release',
        description:
          'Answers 200 whether cases pass or fail (`passed`, `totals`, every case); an engine error or timeout fails its case. ' +
          '400 when the run would evaluate more than VERDICT_TEST_MAX_CASES cases; 404 for an unknown release or decision; 503 when the server is busy (retry).',
        params: ProjectParamsSchema,
        body: RunTestsBodySchema,
        response: { 200: TestRunSchema },
      },
    },
    (request, reply) => services.decisionTests.run(request.params.project, request.body, untilClientLeaves(reply)),
  );
};
