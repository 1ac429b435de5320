import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../services.js';
import { emptyBodyAsObject } from '../../http/validation.js';
import { EnvironmentParamsSchema } from '../environments/schemas.js';
import { DeploymentHistoryQuerySchema, DeploymentSchema, DeployResultSchema, DeploySchema, RollbackSchema } from './schemas.js';

export const deploymentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['deployments'];

  app.post(
    '/api/projects/:project/environments/:env/deployments',
    {
      config: { permission: 'deploy' },
      schema: {
        tags,
        summary: 'Deploy a release to an environment',
        description: 'Answers 201 with the new deployment, or 200 with `unchanged: true` when that release is already deployed.',
        params: EnvironmentParamsSchema,
        body: DeploySchema,
        response: { 200: DeployResultSchema, 201: DeployResultSchema },
      },
    },
    async (request, reply) => {
      const { project, env } = request.params;
      const result = await services.deployments.deploy(request.actor, project, env, request.body.release);
      return reply.status(result.unchanged ? 200 : 201).send(result);
    },
  );

  app.post(
    '/api/projects/:project/environments/:env/rollback',
    {
      config: { permission: 'deploy' },
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Roll back: deploy the previously deployed release (or the one named)',
        params: EnvironmentParamsSchema,
        body: RollbackSchema,
        response: { 200: DeployResultSchema, 201: DeployResultSchema },
      },
    },
    async (request, reply) => {
      const { project, env } = request.params;
      const result = await services.deployments.rollback(request.actor, project, env, request.body.release);
      return reply.status(result.unchanged ? 200 : 201).send(result);
    },
  );

  app.get(
    '/api/projects/:project/environments/:env/deployments',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: "An environment's deployment history, newest first",
        params: EnvironmentParamsSchema,
        querystring: DeploymentHistoryQuerySchema,
        response: { 200: Type.Array(DeploymentSchema) },
      },
    },
    (request) => services.deployments.history(request.params.project, request.params.env, request.query.limit),
  );
};
