import { Type, type Static } from 'typebox';

const ReleaseRefSchema = Type.Object({ id: Type.String(), label: Type.String(), contentHash: Type.String() });

export const DeploymentSchema = Type.Object({
  id: Type.Integer(),
  environment: Type.String(),
  kind: Type.Union([Type.Literal('deploy'), Type.Literal('rollback')]),
  release: ReleaseRefSchema,
  previousRelease: Type.Union([Type.Object({ id: Type.String(), label: Type.String() }), Type.Null()]),
  changeSeq: Type.Integer({ description: 'Value of the global change counter this deployment set' }),
  deployedBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Deployment = Static<typeof DeploymentSchema>;

export const DeployResultSchema = Type.Object({
  ...DeploymentSchema.properties,
  unchanged: Type.Boolean({ description: 'The release was already deployed there: nothing changed' }),
});
export type DeployResult = Static<typeof DeployResultSchema>;

export const DeploySchema = Type.Object(
  { release: Type.String({ minLength: 1, maxLength: 64, description: "Release id, label, or 'latest'" }) },
  { additionalProperties: false },
);

export const RollbackSchema = Type.Object(
  {
    release: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Release to go back to; default: the one deployed before the current one' }),
    ),
  },
  { additionalProperties: false },
);

export const DeploymentHistoryQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
