import { Type, type Static } from 'typebox';

export const EvaluationTokenSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  environment: Type.String(),
  prefix: Type.String({ description: 'The first characters of the token, to recognise it' }),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type EvaluationToken = Static<typeof EvaluationTokenSchema>;

export const NewEvaluationTokenSchema = Type.Object({
  ...EvaluationTokenSchema.properties,
  token: Type.String({ description: 'The secret, shown only in this response; send it as X-Access-Token' }),
});
export type NewEvaluationToken = Static<typeof NewEvaluationTokenSchema>;

export const CreateEvaluationTokenSchema = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);

export const EvaluationTokenParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  env: Type.String({ minLength: 1, maxLength: 63 }),
  id: Type.String({ format: 'uuid' }),
});
