import { Type, type Static } from 'typebox';
import { WEBHOOK_EVENT_TYPES } from './events.js';

/** Bounds of what a subscription may hold (the table checks them too). */
export const WEBHOOK_LIMITS = {
  urlMaxLength: 2048,
  maxEvents: 16,
  secretMinLength: 16,
  secretMaxLength: 256,
  /** Active subscriptions per project: each event costs one delivery per subscriber. */
  maxPerProject: 25,
} as const;

const EventNameSchema = Type.Union([...WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)), Type.Literal('*')], {
  description: `An event type, or * for every event: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
});

export const WebhookSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  project: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  secretPrefix: Type.String({ description: 'The first characters of the signing secret, to recognise it; the secret itself is never listed' }),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Webhook = Static<typeof WebhookSchema>;

export const NewWebhookSchema = Type.Object({
  ...WebhookSchema.properties,
  secret: Type.Optional(Type.String({ description: 'The signing secret the server generated, shown only in this response (a secret the request gave is not echoed)' })),
});
export type NewWebhook = Static<typeof NewWebhookSchema>;

export const CreateWebhookSchema = Type.Object(
  {
    url: Type.String({ minLength: 10, maxLength: WEBHOOK_LIMITS.urlMaxLength, description: 'http(s) URL the events are POSTed to' }),
    events: Type.Array(EventNameSchema, { minItems: 1, maxItems: WEBHOOK_LIMITS.maxEvents, uniqueItems: true }),
    secret: Type.Optional(
      Type.String({
        minLength: WEBHOOK_LIMITS.secretMinLength,
        maxLength: WEBHOOK_LIMITS.secretMaxLength,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'The HMAC-SHA256 signing secret (printable ASCII, no spaces); default: a random one, returned once',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CreateWebhook = Static<typeof CreateWebhookSchema>;

export const WebhookParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  id: Type.String({ format: 'uuid' }),
});

export const DeliveryStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('cancelled')]);
export type DeliveryStatus = Static<typeof DeliveryStatusSchema>;

export const AttemptSchema = Type.Object({
  attempt: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: "The receiver's answer; null when none came (refused, unreachable, timed out)" }),
  durationMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  responseSnippet: Type.Union([Type.String(), Type.Null()], { description: 'The first 1 KB of the response body' }),
});
export type Attempt = Static<typeof AttemptSchema>;

export const DeliverySchema = Type.Object({
  id: Type.Integer(),
  eventId: Type.String({ format: 'uuid', description: 'Sent as Verdict-Event-Id: the same on every attempt, for receivers to de-duplicate' }),
  eventType: Type.String(),
  status: DeliveryStatusSchema,
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  attemptLog: Type.Array(AttemptSchema, { description: 'Every attempt, oldest first' }),
});
export type Delivery = Static<typeof DeliverySchema>;

export const DeliveriesQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  status: Type.Optional(DeliveryStatusSchema),
});
export type DeliveriesQuery = Static<typeof DeliveriesQuerySchema>;

export const PingResultSchema = Type.Object({
  eventId: Type.String({ format: 'uuid' }),
  deliveryId: Type.Integer(),
});
