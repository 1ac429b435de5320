import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { emptyBodyAsObject } from '../../lib/empty-body.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import {
  CreateReleaseSchema,
  ReleaseDecisionParamsSchema,
  ReleaseDecisionSchema,
  ReleaseDetailSchema,
  ReleaseDiffQuerySchema,
  ReleaseDiffSchema,
  ReleaseRefParamsSchema,
  ReleaseSchema,
} from './schemas.js';

export const releaseRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['releases'];

  app.post(
    '/api/projects/:project/releases',
    {
      config: { permission: 'release:create', idempotent: true },
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: "Cut an immutable release from the project's current decisions",
        params: ProjectParamsSchema,
        body: CreateReleaseSchema,
        response: { 201: ReleaseDetailSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await services.releases.create(request.actor, request.params.project, request.body, request.idempotency)),
  );

  app.get(
    '/api/projects/:project/releases',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'List releases, newest first', params: ProjectParamsSchema, response: { 200: Type.Array(ReleaseSchema) } },
    },
    (request) => services.releases.list(request.params.project),
  );

  app.get(
    '/api/projects/:project/releases/:release',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'Get a release and its decision versions', params: ReleaseRefParamsSchema, response: { 200: ReleaseDetailSchema } },
    },
    (request) => services.releases.get(request.params.project, request.params.release),
  );

  app.get(
    '/api/projects/:project/releases/:release/diff',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Compare a release with a base release: added, changed and removed decisions',
        description:
          'With `content=true`, each changed decision also carries its content diff (as /decisions/{key}/diff answers), for the first 100 changed decisions; ' +
          '`contentOmitted` counts the rest. Decisions added or removed whole are listed as before.',
        params: ReleaseRefParamsSchema,
        querystring: ReleaseDiffQuerySchema,
        response: { 200: ReleaseDiffSchema },
      },
    },
    (request) => services.releases.diff(request.params.project, request.params.release, request.query.base, { content: request.query.content }),
  );

  app.get(
    '/api/projects/:project/releases/:release/decisions/:key',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'Get a decision as released', params: ReleaseDecisionParamsSchema, response: { 200: ReleaseDecisionSchema } },
    },
    (request) => services.releases.decision(request.params.project, request.params.release, request.params.key),
  );
};
