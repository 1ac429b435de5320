import { Type, type Static } from 'typebox';

export const AUDIT_ACTIONS = [
  'project.create',
  'environment.create',
  'environment.update',
  'decision.save',
  'decision.delete',
  'decision.rename',
  'release.create',
  'deployment.deploy',
  'deployment.rollback',
  'deployment.request',
  'deployment.approve',
  'deployment.reject',
  'deployment.cancel',
  'deployment.expire',
  'evaluation-token.create',
  'evaluation-token.revoke',
  'api-token.create',
  'api-token.revoke',
  'api-token.rotate',
  'api-token.bootstrap',
  'package.apply',
  'webhook.create',
  'webhook.delete',
  'console-session.sign-in',
  'console-session.sign-out',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String(),
    actorTokenId: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    targetType: Type.String(),
    target: Type.String(),
    projectKey: Type.Union([Type.String(), Type.Null()]),
    beforeHash: Type.Union([Type.String(), Type.Null()]),
    afterHash: Type.Union([Type.String(), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
);
export type AuditEntry = Static<typeof AuditEntrySchema>;

// Filters are compared as given: bounded so a query string cannot carry megabytes into SQL.
const AuditFilters = {
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Exact name of the token that acted' })),
  action: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'Exact action, or a prefix ending in ".*" (e.g. "deployment.*")' }),
  ),
  project: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 205, description: 'Decision key, environment, token name...' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries at or after this time' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries before this time' })),
  before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Cursor: only entries with a smaller id' })),
};

export const AuditQuerySchema = Type.Object({
  ...AuditFilters,
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
export type AuditQuery = Static<typeof AuditQuerySchema>;

/** Most rows one CSV export holds; the `x-next-cursor` header says where the rest begins. */
export const AUDIT_CSV_MAX_ROWS = 10_000;

export const AuditCsvQuerySchema = Type.Object({
  ...AuditFilters,
  limit: Type.Integer({ minimum: 1, maximum: AUDIT_CSV_MAX_ROWS, default: AUDIT_CSV_MAX_ROWS }),
});

export const AuditPageSchema = Type.Object({
  entries: Type.Array(AuditEntrySchema),
  nextCursor: Type.Union([Type.Integer(), Type.Null()]),
});
