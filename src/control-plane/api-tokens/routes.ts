import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { ApiTokenParamsSchema, ApiTokenSchema, CreateApiTokenSchema, NewApiTokenSchema, RotateApiTokenSchema, WhoAmISchema } from './schemas.js';
import { emptyBodyAsObject } from '../../lib/empty-body.js';

export const apiTokenRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['api tokens'];

  app.post(
    '/api/tokens',
    {
      config: { permission: 'api-token:manage' },
      schema: { tags, summary: 'Create an API token with a role (the secret is shown once)', body: CreateApiTokenSchema, response: { 201: NewApiTokenSchema } },
    },
    async (request, reply) => reply.status(201).send(await services.apiTokens.create(request.actor, request.body)),
  );

  app.get(
    '/api/tokens',
    {
      config: { permission: 'api-token:manage' },
      schema: { tags, summary: 'List API tokens', response: { 200: Type.Array(ApiTokenSchema) } },
    },
    () => services.apiTokens.list(),
  );

  app.delete(
    '/api/tokens/:id',
    {
      config: { permission: 'api-token:manage', idempotent: true },
      schema: { tags, summary: 'Revoke an API token', params: ApiTokenParamsSchema, response: { 200: ApiTokenSchema } },
    },
    (request) => services.apiTokens.revoke(request.actor, request.params.id, request.idempotency),
  );

  app.post(
    '/api/tokens/:id/rotate',
    {
      config: { permission: 'api-token:manage' },
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Give an API token a new secret (shown once); the old one works for graceSeconds more',
        params: ApiTokenParamsSchema,
        body: RotateApiTokenSchema,
        response: { 200: NewApiTokenSchema },
      },
    },
    (request) => services.apiTokens.rotate(request.actor, request.params.id, request.body),
  );

  app.get(
    '/api/whoami',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'The identity and role of the calling token', response: { 200: WhoAmISchema } },
    },
    (request) => ({
      name: request.actor.name,
      role: request.actor.role,
      tokenId: request.actor.tokenId,
      project: request.actor.projectScope,
      permissions: [...request.actor.extraPermissions],
    }),
  );
};
