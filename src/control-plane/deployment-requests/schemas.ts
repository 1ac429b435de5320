import { Type, type Static } from 'typebox';

const StatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('deployed'), Type.Literal('rejected'), Type.Literal('cancelled'), Type.Literal('expired')], {
  description: 'pending until approved (deployed), rejected, cancelled by the requester or an admin, or expired',
});
export type RequestStatus = Static<typeof StatusSchema>;

export const ReviewSchema = Type.Object({
  reviewer: Type.String(),
  verdict: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
  comment: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const DeploymentRequestSchema = Type.Object({
  id: Type.Integer(),
  project: Type.String(),
  environment: Type.String(),
  kind: Type.Union([Type.Literal('deploy'), Type.Literal('rollback')]),
  release: Type.Object({ id: Type.String(), label: Type.String(), contentHash: Type.String() }),
  comment: Type.String(),
  source: Type.Union([Type.Literal('api'), Type.Literal('package')], { description: 'api: a deploy or rollback call; package: a release package applied with ?environment' }),
  requestedBy: Type.String(),
  requiredApprovals: Type.Integer(),
  approvals: Type.Integer({ description: 'Approvals given so far' }),
  approverRole: Type.Union([Type.String(), Type.Null()]),
  approverGroup: Type.Union([Type.String(), Type.Null()]),
  status: StatusSchema,
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  closedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  closedBy: Type.Union([Type.String(), Type.Null()]),
  deploymentId: Type.Union([Type.Integer(), Type.Null()], { description: 'The deployment the final approval made' }),
  reviews: Type.Array(ReviewSchema),
});
export type DeploymentRequest = Static<typeof DeploymentRequestSchema>;

/** What a deploy or rollback to a protected environment answers (202): the request, not a deployment. */
export const ApprovalRequiredSchema = Type.Object({
  approvalRequired: Type.Literal(true),
  request: DeploymentRequestSchema,
});
export type ApprovalRequired = Static<typeof ApprovalRequiredSchema>;

export const RequestParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

export const RequestListQuerySchema = Type.Object({
  status: Type.Union([StatusSchema, Type.Literal('all')], { default: 'pending', description: "Which requests (default pending); 'all' for every status" }),
  environment: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});
export type RequestListQuery = Static<typeof RequestListQuerySchema>;

export const ReviewBodySchema = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export type ReviewBody = Static<typeof ReviewBodySchema>;
