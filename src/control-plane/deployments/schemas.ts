import { Type, type Static } from 'typebox';

const ReleaseRefSchema = Type.Object({ id: Type.String(), label: Type.String(), contentHash: Type.String() });

export const DeploymentSchema = Type.Object({
  id: Type.Integer(),
  environment: Type.String(),
  environmentId: Type.String(),
  kind: Type.Union([Type.Literal('deploy'), Type.Literal('rollback')]),
  release: ReleaseRefSchema,
  previousRelease: Type.Union([Type.Object({ id: Type.String(), label: Type.String() }), Type.Null()]),
  changeSeq: Type.Integer({ description: 'Value of the global change counter this deployment set' }),
  deployedBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Deployment = Static<typeof DeploymentSchema>;

export const DeployWaitQuerySchema = Type.Object({
  wait: Type.Optional(
    Type.Union([Type.Literal('replicas'), Type.Literal('fleet')], {
      description: 'replicas: return when every standby has replayed the deploy; fleet: when every live node serves it',
    }),
  ),
  timeout: Type.Integer({ minimum: 0, maximum: 600_000, default: 30_000, description: 'How long to wait (ms); past it the answer is 202 with what is pending' }),
});

export const WaitOutcomeSchema = Type.Object({
  for: Type.Union([Type.Literal('replicas'), Type.Literal('fleet')]),
  satisfied: Type.Boolean(),
  waitedMs: Type.Integer(),
  checked: Type.Integer({ description: 'How many standbys (replicas) or live nodes (fleet) were waited for' }),
  pending: Type.Array(Type.String()),
});

export const DeployResultSchema = Type.Object({
  ...DeploymentSchema.properties,
  unchanged: Type.Boolean({ description: 'The release was already deployed there: nothing changed' }),
  wait: Type.Optional(WaitOutcomeSchema),
});
export type DeployResult = Static<typeof DeployResultSchema>;

const CommentSchema = Type.String({ maxLength: 2000, description: 'Why: shown to the approvers of a protected environment' });

export const DeploySchema = Type.Object(
  { release: Type.String({ minLength: 1, maxLength: 64, description: "Release id, label, or 'latest'" }), comment: Type.Optional(CommentSchema) },
  { additionalProperties: false },
);

export const RollbackSchema = Type.Object(
  {
    release: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Release to go back to; default: the one deployed before the current one' }),
    ),
    comment: Type.Optional(CommentSchema),
  },
  { additionalProperties: false },
);

export const DeploymentHistoryQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
