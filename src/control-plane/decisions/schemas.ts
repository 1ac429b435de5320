import { Type, type Static } from 'typebox';
import { JdmDocumentSchema } from '../../lib/jdm.js';
import { ContentDiffSchema } from '../content-diff/schemas.js';

export const DecisionKeyParamSchema = Type.String({
  minLength: 1,
  maxLength: 205,
  description: "Path-like key, URL-encoded in paths (pricing/discount -> pricing%2Fdiscount); a '.json' suffix is ignored",
});

export const DecisionParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  key: DecisionKeyParamSchema,
});

export const DecisionVersionParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  key: DecisionKeyParamSchema,
  version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
});

export const SaveDecisionSchema = Type.Object(
  {
    content: JdmDocumentSchema,
    message: Type.Optional(Type.String({ maxLength: 2000, description: 'Why this version was saved' })),
    baseVersion: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Optimistic concurrency: save only if the latest version is this one (0: the decision must not exist)' }),
    ),
  },
  { additionalProperties: false },
);
export type SaveDecision = Static<typeof SaveDecisionSchema>;

export const SaveDecisionsSchema = Type.Object(
  {
    decisions: Type.Array(
      Type.Object(
        {
          key: DecisionKeyParamSchema,
          content: JdmDocumentSchema,
          baseVersion: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
    message: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type SaveDecisions = Static<typeof SaveDecisionsSchema>;

export const DecisionVersionSummarySchema = Type.Object({
  key: Type.String(),
  version: Type.Integer(),
  deleted: Type.Boolean({ description: 'This version is a tombstone: the decision was deleted' }),
  contentHash: Type.Union([Type.String(), Type.Null()]),
  author: Type.String(),
  message: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type DecisionVersionSummary = Static<typeof DecisionVersionSummarySchema>;

export const SaveDecisionResultSchema = Type.Object({
  ...DecisionVersionSummarySchema.properties,
  unchanged: Type.Boolean({ description: 'The content equals the latest version: no new version was made' }),
});
export type SaveDecisionResult = Static<typeof SaveDecisionResultSchema>;

export const SaveDecisionsResultSchema = Type.Object({
  saved: Type.Integer({ description: 'How many decisions got a new version' }),
  unchanged: Type.Integer({ description: 'How many were identical to their latest version' }),
  results: Type.Array(SaveDecisionResultSchema),
});
export type SaveDecisionsResult = Static<typeof SaveDecisionsResultSchema>;

export const DecisionVersionSchema = Type.Object({
  ...DecisionVersionSummarySchema.properties,
  content: Type.Union([JdmDocumentSchema, Type.Null()]),
});
export type DecisionVersion = Static<typeof DecisionVersionSchema>;

export const DecisionListQuerySchema = Type.Object({
  includeDeleted: Type.Boolean({ default: false }),
  prefix: Type.Optional(Type.String({ description: "Only keys starting with this (e.g. 'pricing/')" })),
});

export const RenameDecisionSchema = Type.Object(
  { to: Type.String({ minLength: 1, maxLength: 205, description: "The new key (pricing/discount); a '.json' suffix is ignored" }) },
  { additionalProperties: false },
);
export type RenameDecision = Static<typeof RenameDecisionSchema>;

export const RenameDecisionResultSchema = Type.Object({
  ...DecisionVersionSummarySchema.properties,
  renamedFrom: Type.String({ description: 'The key the decision had before' }),
});
export type RenameDecisionResult = Static<typeof RenameDecisionResultSchema>;

export const DecisionDiffQuerySchema = Type.Object({
  from: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'The version to compare from (as in /versions/{version})' }),
  to: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'The version to compare to; default: the latest' })),
});

const ComparedVersionSchema = Type.Object({
  version: Type.Integer(),
  contentHash: Type.String(),
  author: Type.String(),
  message: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const DecisionDiffSchema = Type.Object({
  key: Type.String(),
  from: ComparedVersionSchema,
  to: ComparedVersionSchema,
  diff: ContentDiffSchema,
});
export type DecisionDiff = Static<typeof DecisionDiffSchema>;
