import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../services.js';
import { emptyBodyAsObject } from '../../http/validation.js';
import { EnvironmentParamsSchema } from '../environments/schemas.js';
import type { FastifyReply } from 'fastify';
import { DeploymentHistoryQuerySchema, DeploymentSchema, DeployResultSchema, DeploySchema, DeployWaitQuerySchema, RollbackSchema, type DeployResult } from './schemas.js';

export const deploymentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['deployments'];

  /**
   * Read-your-deploy: with `wait`, answer once every standby has replayed the deploy (replicas) or
   * every live node serves it (fleet); 202 with what is still pending when the timeout passes.
   */
  const sendWithWait = async (reply: FastifyReply, result: DeployResult, query: { wait?: 'replicas' | 'fleet' | undefined; timeout: number }) => {
    const status = result.unchanged ? 200 : 201;
    if (!query.wait) return reply.status(status).send(result);
    const wait =
      query.wait === 'replicas'
        ? await services.fleet.waitForReplicas(await services.fleet.currentLsn(), query.timeout)
        : await services.fleet.waitForFleet(result.environmentId, result.release.id, query.timeout);
    return reply.status(wait.satisfied ? status : 202).send({ ...result, wait });
  };

  app.post(
    '/api/projects/:project/environments/:env/deployments',
    {
      config: { permission: 'deploy', idempotent: true },
      schema: {
        tags,
        summary: 'Deploy a release to an environment',
        description: 'Answers 201 with the new deployment, or 200 with `unchanged: true` when that release is already deployed.',
        params: EnvironmentParamsSchema,
        querystring: DeployWaitQuerySchema,
        body: DeploySchema,
        response: { 200: DeployResultSchema, 201: DeployResultSchema, 202: DeployResultSchema },
      },
    },
    async (request, reply) => {
      const { project, env } = request.params;
      const result = await services.deployments.deploy(request.actor, project, env, request.body.release, request.idempotency);
      return sendWithWait(reply, result, request.query);
    },
  );

  app.post(
    '/api/projects/:project/environments/:env/rollback',
    {
      config: { permission: 'deploy', idempotent: true },
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Roll back: deploy the previously deployed release (or the one named)',
        params: EnvironmentParamsSchema,
        querystring: DeployWaitQuerySchema,
        body: RollbackSchema,
        response: { 200: DeployResultSchema, 201: DeployResultSchema, 202: DeployResultSchema },
      },
    },
    async (request, reply) => {
      const { project, env } = request.params;
      const result = await services.deployments.rollback(request.actor, project, env, request.body.release, request.idempotency);
      return sendWithWait(reply, result, request.query);
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
