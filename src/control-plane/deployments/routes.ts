import type { IdempotencyContext } from '../../db/idempotency.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Actor } from '../../lib/actor.js';
import type { Services } from '../services.js';
import { emptyBodyAsObject } from '../../lib/empty-body.js';
import { EnvironmentParamsSchema } from '../environments/schemas.js';
import type { FastifyReply } from 'fastify';
import { DeploymentHistoryQuerySchema, DeploymentSchema, DeployResultSchema, DeploySchema, DeployWaitQuerySchema, RollbackSchema } from './schemas.js';
import { ApprovalRequiredSchema } from '../deployment-requests/schemas.js';
import type { DeployOptions, DeployOutcome } from './service.js';

export const deploymentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['deployments'];

  /**
   * Read-your-deploy: with `wait`, answer once every standby has replayed the deploy (replicas) or
   * every live node serves it (fleet); 202 with what is still pending when the timeout passes.
   */
  const sendWithWait = async (reply: FastifyReply, outcome: DeployOutcome, query: { wait?: 'replicas' | 'fleet' | undefined; timeout: number }) => {
    // A protected environment: nothing was deployed, so there is nothing to wait for yet.
    if (outcome.kind === 'requested') return reply.status(202).send({ approvalRequired: true, request: outcome.request });
    const result = outcome.result;
    const status = result.unchanged ? 200 : 201;
    if (!query.wait) return reply.status(status).send(result);
    const wait =
      query.wait === 'replicas'
        ? await services.fleet.waitForReplicas(await services.fleet.currentLsn(), query.timeout)
        : await services.fleet.waitForFleet(result.environmentId, result.release.id, query.timeout);
    return reply.status(wait.satisfied ? status : 202).send({ ...result, wait });
  };

  /**
   * Deploy and rollback are one operation that differ in how the release is chosen: same
   * permission, idempotency, parameters, wait and answers. Only the body and the call differ.
   */
  const deploymentRoute = <Body extends typeof DeploySchema | typeof RollbackSchema>(
    path: string,
    route: {
      summary: string;
      description?: string;
      body: Body;
      /** Rollback may be posted without a body. */
      emptyBody?: boolean;
      run: (actor: Actor, project: string, env: string, body: Static<Body>, options: DeployOptions, idempotency: IdempotencyContext | undefined) => Promise<DeployOutcome>;
    },
  ) =>
    app.post(
      path,
      {
        config: { permission: 'deploy', idempotent: true },
        ...(route.emptyBody ? { preValidation: emptyBodyAsObject } : {}),
        schema: {
          tags,
          summary: route.summary,
          ...(route.description === undefined ? {} : { description: route.description }),
          params: EnvironmentParamsSchema,
          querystring: DeployWaitQuerySchema,
          body: route.body,
          response: {
            200: DeployResultSchema,
            201: DeployResultSchema,
            202: Type.Union([DeployResultSchema, ApprovalRequiredSchema], {
              description: 'The wait timed out (a deployment, with what is pending), or the environment is protected (a deployment request awaiting approval)',
            }),
          },
        },
      },
      async (request, reply) => {
        const { project, env } = request.params;
        // The type provider cannot reduce its body type while Body is still generic; the schema above validated it.
        const body = request.body as Static<Body>;
        const outcome = await route.run(request.actor, project, env, body, { comment: body.comment }, request.idempotency);
        return sendWithWait(reply, outcome, request.query);
      },
    );

  deploymentRoute('/api/projects/:project/environments/:env/deployments', {
    summary: 'Deploy a release to an environment',
    description:
      'Answers 201 with the new deployment, or 200 with `unchanged: true` when that release is already deployed. On a protected environment (approvals required) it answers 202 with the deployment request (`approvalRequired: true`); the approval that completes it deploys.',
    body: DeploySchema,
    run: (actor, project, env, body, options, idempotency) => services.deployments.deploy(actor, project, env, body.release, options, idempotency),
  });

  deploymentRoute('/api/projects/:project/environments/:env/rollback', {
    summary: 'Roll back: deploy the previously deployed release (or the one named)',
    body: RollbackSchema,
    emptyBody: true,
    run: (actor, project, env, body, options, idempotency) => services.deployments.rollback(actor, project, env, body.release, options, idempotency),
  });

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
