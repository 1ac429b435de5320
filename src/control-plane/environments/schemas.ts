import { Type, type Static } from 'typebox';

export const EnvironmentKeySchema = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'Lower-case letters, digits and dashes, e.g. dev, staging, prod',
  examples: ['prod'],
});

export const ApproverRoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('deployer')], {
  description: 'Only this role may approve (admins always may); null: anyone allowed to deploy',
});

/** What a deployment to the environment needs before it goes live. */
export const ProtectionSchema = Type.Object({
  requiredApprovals: Type.Integer({ minimum: 0, maximum: 10, description: '0: deploys go live at once; N: N approvals from people other than the requester' }),
  approverRole: Type.Union([ApproverRoleSchema, Type.Null()]),
  approverGroup: Type.Union([Type.String(), Type.Null()], { description: 'Approvers must be in this single-sign-on group (API tokens have none); null: no group needed' }),
  requestTtlSeconds: Type.Integer({ description: 'A deployment request not decided within this long expires' }),
});
export type Protection = Static<typeof ProtectionSchema>;

const ProtectionInput = {
  requiredApprovals: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Approvals a deploy or rollback needs (0 = unprotected)' })),
  approverRole: Type.Optional(Type.Union([ApproverRoleSchema, Type.Null()])),
  approverGroup: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
  requestTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 7_776_000, description: 'How long a request may wait for approval (default 7 days)' })),
};

export const CreateEnvironmentSchema = Type.Object(
  { key: EnvironmentKeySchema, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...ProtectionInput },
  { additionalProperties: false },
);

export const UpdateEnvironmentSchema = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...ProtectionInput },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateEnvironment = Static<typeof UpdateEnvironmentSchema>;
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
  protection: ProtectionSchema,
});
export type Environment = Static<typeof EnvironmentSchema>;

export const EnvironmentParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  env: Type.String({ minLength: 1, maxLength: 63 }),
});
