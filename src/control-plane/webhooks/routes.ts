import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import { CreateWebhookSchema, DeliveriesQuerySchema, DeliverySchema, NewWebhookSchema, PingResultSchema, WebhookParamsSchema, WebhookSchema } from './schemas.js';

export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['webhooks'];

  app.post(
    '/api/projects/:project/webhooks',
    {
      // Idempotent only with a given secret: a generated one is a secret answer, which is not stored.
      config: { permission: 'webhook:manage', idempotent: true },
      schema: {
        tags,
        summary: 'Subscribe a URL to events (a generated signing secret is shown once)',
        description:
          'The URL is checked now and before every delivery: http or https, and its host must resolve to public addresses unless listed in VERDICT_WEBHOOK_ALLOW_HOSTS. ' +
          'Deliveries are POSTed with `Verdict-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` and `Verdict-Event-Id`; see docs/webhooks.md.',
        params: ProjectParamsSchema,
        body: CreateWebhookSchema,
        response: { 201: NewWebhookSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await services.webhooks.create(request.actor, request.params.project, request.body, request.idempotency)),
  );

  app.get(
    '/api/projects/:project/webhooks',
    {
      config: { permission: 'webhook:manage' },
      schema: { tags, summary: "List a project's webhooks (secrets are never listed)", params: ProjectParamsSchema, response: { 200: Type.Array(WebhookSchema) } },
    },
    (request) => services.webhooks.list(request.params.project),
  );

  app.delete(
    '/api/projects/:project/webhooks/:id',
    {
      config: { permission: 'webhook:manage', idempotent: true },
      schema: { tags, summary: 'Delete a webhook; its pending deliveries are cancelled, its delivery log kept', params: WebhookParamsSchema, response: { 200: WebhookSchema } },
    },
    (request) => services.webhooks.delete(request.actor, request.params.project, request.params.id, request.idempotency),
  );

  app.get(
    '/api/projects/:project/webhooks/:id/deliveries',
    {
      config: { permission: 'webhook:manage' },
      schema: {
        tags,
        summary: "A webhook's delivery log, newest first: status, attempts, status codes, errors",
        params: WebhookParamsSchema,
        querystring: DeliveriesQuerySchema,
        response: { 200: Type.Array(DeliverySchema) },
      },
    },
    (request) => services.webhooks.deliveries(request.params.project, request.params.id, request.query),
  );

  app.post(
    '/api/projects/:project/webhooks/:id/ping',
    {
      config: { permission: 'webhook:manage' },
      schema: {
        tags,
        summary: 'Send a webhook.ping event to this webhook alone, to try its receiver',
        params: WebhookParamsSchema,
        response: { 202: PingResultSchema },
      },
    },
    async (request, reply) => reply.status(202).send(await services.webhooks.ping(request.actor, request.params.project, request.params.id)),
  );
};
