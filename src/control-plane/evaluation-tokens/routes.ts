import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { emptyBodyAsObject } from '../../lib/empty-body.js';
import { EnvironmentParamsSchema } from '../environments/schemas.js';
import { CreateEvaluationTokenSchema, EvaluationTokenParamsSchema, EvaluationTokenSchema, NewEvaluationTokenSchema } from './schemas.js';

export const evaluationTokenRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['evaluation tokens'];

  app.post(
    '/api/projects/:project/environments/:env/tokens',
    {
      config: { permission: 'evaluation-token:manage' },
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Create an evaluation token for an environment (the secret is shown once)',
        params: EnvironmentParamsSchema,
        body: CreateEvaluationTokenSchema,
        response: { 201: NewEvaluationTokenSchema },
      },
    },
    async (request, reply) => {
      const { project, env } = request.params;
      return reply.status(201).send(await services.evaluationTokens.create(request.actor, project, env, request.body.name));
    },
  );

  app.get(
    '/api/projects/:project/environments/:env/tokens',
    {
      config: { permission: 'evaluation-token:manage' },
      schema: { tags, summary: "List an environment's evaluation tokens", params: EnvironmentParamsSchema, response: { 200: Type.Array(EvaluationTokenSchema) } },
    },
    (request) => services.evaluationTokens.list(request.params.project, request.params.env),
  );

  app.delete(
    '/api/projects/:project/environments/:env/tokens/:id',
    {
      config: { permission: 'evaluation-token:manage', idempotent: true },
      schema: { tags, summary: 'Revoke an evaluation token', params: EvaluationTokenParamsSchema, response: { 200: EvaluationTokenSchema } },
    },
    (request) => services.evaluationTokens.revoke(request.actor, request.params.project, request.params.env, request.params.id, request.idempotency),
  );
};
