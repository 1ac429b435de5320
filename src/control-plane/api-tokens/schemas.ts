import { Type, type Static } from 'typebox';

export const RoleSchema = Type.Union(
  [Type.Literal('admin'), Type.Literal('editor'), Type.Literal('deployer'), Type.Literal('viewer')],
  { description: 'admin: everything; editor: author decisions, cut releases; deployer: cut releases, deploy, evaluation tokens; viewer: read' },
);

export const ExtraPermissionSchema = Type.Literal('deploy-unreviewed', {
  description: 'deploy-unreviewed: a package applied with ?environment deploys to a protected environment without approval (the audit log says so)',
});

export const ApiTokenSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  role: RoleSchema,
  prefix: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'After this the token is refused; null: never expires' }),
  project: Type.Union([Type.String(), Type.Null()], { description: 'The one project the token may touch; null: every project' }),
  permissions: Type.Array(ExtraPermissionSchema, { description: 'Permissions beyond the role, granted explicitly' }),
  rotatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  previousSecretValidUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'After a rotation with a grace period, the previous secret still works until then',
  }),
});
export type ApiToken = Static<typeof ApiTokenSchema>;

export const NewApiTokenSchema = Type.Object({
  ...ApiTokenSchema.properties,
  token: Type.String({ description: 'The secret, shown only in this response; send it as Authorization: Bearer <token>' }),
});
export type NewApiToken = Static<typeof NewApiTokenSchema>;

const ExpiresInDays = Type.Integer({ minimum: 1, maximum: 3650, description: 'The token expires this many days from now; leave out for a token that never expires' });

export const CreateApiTokenSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: RoleSchema,
    expiresInDays: Type.Optional(ExpiresInDays),
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'Limit the token to this project' })),
    permissions: Type.Optional(Type.Array(ExtraPermissionSchema, { maxItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type CreateApiToken = Static<typeof CreateApiTokenSchema>;

export const RotateApiTokenSchema = Type.Object(
  {
    graceSeconds: Type.Integer({
      minimum: 0,
      maximum: 7 * 24 * 3600,
      default: 0,
      description: 'How long the previous secret keeps working (so a pipeline can switch without failing); 0: at once',
    }),
    expiresInDays: Type.Optional(ExpiresInDays),
  },
  { additionalProperties: false },
);
export type RotateApiToken = Static<typeof RotateApiTokenSchema>;

export const ApiTokenParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const WhoAmISchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  tokenId: Type.Union([Type.String(), Type.Null()]),
  project: Type.Union([Type.String(), Type.Null()], { description: 'The one project this identity may touch; null: every project' }),
  permissions: Type.Array(ExtraPermissionSchema),
});
