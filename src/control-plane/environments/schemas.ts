import { Type, type Static } from 'typebox';

export const EnvironmentKeySchema = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'Lower-case letters, digits and dashes, e.g. dev, staging, prod',
  examples: ['prod'],
});

export const CreateEnvironmentSchema = Type.Object(
  { key: EnvironmentKeySchema, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);
export type CreateEnvironment = Static<typeof CreateEnvironmentSchema>;

export const CurrentDeploymentSchema = Type.Object({
  deploymentId: Type.Integer(),
  releaseId: Type.String(),
  releaseLabel: Type.String(),
  deployedAt: Type.String({ format: 'date-time' }),
  deployedBy: Type.String(),
});

export const EnvironmentSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  key: Type.String(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
  current: Type.Union([CurrentDeploymentSchema, Type.Null()], { description: 'What is deployed now' }),
});
export type Environment = Static<typeof EnvironmentSchema>;

export const EnvironmentParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  env: Type.String({ minLength: 1, maxLength: 63 }),
});
