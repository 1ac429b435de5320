import { Type, type Static } from 'typebox';

export const ApplyQuerySchema = Type.Object({
  environment: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'Deploy the release there, in the same transaction' })),
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Release label for a GoRules zip (Verdict packages keep theirs)' })),
});

export const ApplyResultSchema = Type.Object({
  status: Type.Union([Type.Literal('applied'), Type.Literal('already-applied')]),
  release: Type.Object({ id: Type.String(), label: Type.String(), contentHash: Type.String() }),
  decisions: Type.Object({
    saved: Type.Integer({ description: 'Decisions that got a new version' }),
    unchanged: Type.Integer({ description: 'Decisions whose latest version already had this content' }),
  }),
  deployment: Type.Union([Type.Object({ environment: Type.String(), deploymentId: Type.Integer(), changed: Type.Boolean() }), Type.Null()]),
  deploymentRequest: Type.Union([Type.Object({ environment: Type.String(), requestId: Type.Integer(), requiredApprovals: Type.Integer() }), Type.Null()], {
    description: 'The environment is protected: the deploy waits for approval in this request (unless the token holds deploy-unreviewed)',
  }),
  signedBy: Type.Union([Type.String({ description: 'Key id of the trusted key that signed the package' }), Type.Null()]),
  source: Type.String({ description: 'The instance the package was exported from' }),
});
export type ApplyResult = Static<typeof ApplyResultSchema>;
