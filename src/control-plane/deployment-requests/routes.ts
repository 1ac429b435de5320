import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { emptyBodyAsObject } from '../../lib/empty-body.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import { DeploymentRequestSchema, RequestListQuerySchema, RequestParamsSchema, ReviewBodySchema } from './schemas.js';

export const deploymentRequestRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['deployment requests'];

  app.get(
    '/api/projects/:project/deployment-requests',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Deployment requests waiting for approval (or, with status, decided ones), newest first',
        params: ProjectParamsSchema,
        querystring: RequestListQuerySchema,
        response: { 200: Type.Array(DeploymentRequestSchema) },
      },
    },
    (request) => services.deploymentRequests.list(request.params.project, request.query),
  );

  app.get(
    '/api/projects/:project/deployment-requests/:id',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'A deployment request and its reviews', params: RequestParamsSchema, response: { 200: DeploymentRequestSchema } },
    },
    (request) => services.deploymentRequests.get(request.params.project, request.params.id),
  );

  const review = { permission: 'deploy', idempotent: true } as const;

  app.post(
    '/api/projects/:project/deployment-requests/:id/approve',
    {
      config: review,
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Approve a deployment request (never your own); the approval that completes the quorum deploys',
        params: RequestParamsSchema,
        body: ReviewBodySchema,
        response: { 200: DeploymentRequestSchema },
      },
    },
    (request) => services.deploymentRequests.approve(request.actor, request.params.project, request.params.id, request.body, request.idempotency),
  );

  app.post(
    '/api/projects/:project/deployment-requests/:id/reject',
    {
      config: review,
      preValidation: emptyBodyAsObject,
      schema: { tags, summary: 'Reject a deployment request: it closes, nothing is deployed', params: RequestParamsSchema, body: ReviewBodySchema, response: { 200: DeploymentRequestSchema } },
    },
    (request) => services.deploymentRequests.reject(request.actor, request.params.project, request.params.id, request.body, request.idempotency),
  );

  app.post(
    '/api/projects/:project/deployment-requests/:id/cancel',
    {
      config: review,
      schema: { tags, summary: 'Withdraw a deployment request (the requester, or an admin)', params: RequestParamsSchema, response: { 200: DeploymentRequestSchema } },
    },
    (request) => services.deploymentRequests.cancel(request.actor, request.params.project, request.params.id, request.idempotency),
  );
};
