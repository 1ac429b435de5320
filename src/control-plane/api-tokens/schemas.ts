import { Type, type Static } from 'typebox';

export const RoleSchema = Type.Union(
  [Type.Literal('admin'), Type.Literal('editor'), Type.Literal('deployer'), Type.Literal('viewer')],
  { description: 'admin: everything; editor: author decisions, cut releases; deployer: cut releases, deploy, evaluation tokens; viewer: read' },
);

export const ApiTokenSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  role: RoleSchema,
  prefix: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type ApiToken = Static<typeof ApiTokenSchema>;

export const NewApiTokenSchema = Type.Object({
  ...ApiTokenSchema.properties,
  token: Type.String({ description: 'The secret, shown only in this response; send it as Authorization: Bearer <token>' }),
});
export type NewApiToken = Static<typeof NewApiTokenSchema>;

export const CreateApiTokenSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), role: RoleSchema },
  { additionalProperties: false },
);
export type CreateApiToken = Static<typeof CreateApiTokenSchema>;

export const ApiTokenParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const WhoAmISchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  tokenId: Type.Union([Type.String(), Type.Null()]),
});
