import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { CreateProjectSchema, ProjectParamsSchema, ProjectSchema } from './schemas.js';

export const projectRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/projects',
    {
      config: { permission: 'project:create', idempotent: true },
      schema: { tags: ['projects'], summary: 'Create a project', body: CreateProjectSchema, response: { 201: ProjectSchema } },
    },
    async (request, reply) => reply.status(201).send(await services.projects.create(request.actor, request.body, request.idempotency)),
  );

  app.get(
    '/api/projects',
    {
      config: { permission: 'read' },
      schema: { tags: ['projects'], summary: 'List projects', response: { 200: Type.Array(ProjectSchema) } },
    },
    () => services.projects.list(),
  );

  app.get(
    '/api/projects/:project',
    {
      config: { permission: 'read' },
      schema: { tags: ['projects'], summary: 'Get a project', params: ProjectParamsSchema, response: { 200: ProjectSchema } },
    },
    (request) => services.projects.get(request.params.project),
  );
};
