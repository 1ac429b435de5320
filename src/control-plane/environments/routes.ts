import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import { CreateEnvironmentSchema, EnvironmentParamsSchema, EnvironmentSchema, UpdateEnvironmentSchema } from './schemas.js';

export const environmentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['environments'];

  app.post(
    '/api/projects/:project/environments',
    {
      config: { permission: 'environment:create', idempotent: true },
      schema: { tags, summary: 'Create an environment', params: ProjectParamsSchema, body: CreateEnvironmentSchema, response: { 201: EnvironmentSchema } },
    },
    async (request, reply) => reply.status(201).send(await services.environments.create(request.actor, request.params.project, request.body, request.idempotency)),
  );

  app.get(
    '/api/projects/:project/environments',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'List environments and what each serves', params: ProjectParamsSchema, response: { 200: Type.Array(EnvironmentSchema) } },
    },
    (request) => services.environments.list(request.params.project),
  );

  app.patch(
    '/api/projects/:project/environments/:env',
    {
      config: { permission: 'environment:update', idempotent: true },
      schema: {
        tags,
        summary: 'Rename an environment or change its protection (approvals a deployment needs)',
        description: 'Fields left out keep their value. Pending deployment requests keep the policy they were made under.',
        params: EnvironmentParamsSchema,
        body: UpdateEnvironmentSchema,
        response: { 200: EnvironmentSchema },
      },
    },
    (request) => services.environments.update(request.actor, request.params.project, request.params.env, request.body, request.idempotency),
  );

  app.get(
    '/api/projects/:project/environments/:env',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'Get an environment and its current deployment', params: EnvironmentParamsSchema, response: { 200: EnvironmentSchema } },
    },
    (request) => services.environments.get(request.params.project, request.params.env),
  );
};
