import { Type, type Static } from 'typebox';
import { JdmDocumentSchema } from '../../lib/jdm.js';
import { ContentDiffSchema } from '../content-diff/schemas.js';

export const ReleaseLabelSchema = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$',
  description: "Letters, digits, '.', '_', '+', '-'; not 'latest', not v<number> (automatic labels), not UUID-shaped. Defaults to v<sequence>.",
  examples: ['v1', '2026.11.25-1'],
});

export const CreateReleaseSchema = Type.Object(
  {
    label: Type.Optional(ReleaseLabelSchema),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
    requireTests: Type.Optional(
      Type.Boolean({
        description:
          "Run every decision's test cases first and cut the release only if all pass (else 422 `tests-failed` listing the failing cases, and nothing is written). The release holds exactly the contents tested.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateRelease = Static<typeof CreateReleaseSchema>;

export const ReleaseSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  seq: Type.Integer({ description: 'Per-project sequence number' }),
  label: Type.String(),
  contentHash: Type.String({ description: 'sha256 over the (key, content hash) list of its decisions' }),
  notes: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  decisionCount: Type.Integer(),
});
export type Release = Static<typeof ReleaseSchema>;

export const ReleaseEntrySchema = Type.Object({
  key: Type.String(),
  version: Type.Integer(),
  contentHash: Type.String(),
});
export type ReleaseEntry = Static<typeof ReleaseEntrySchema>;

/** What the test gate of a release ran (every case passed, or there would be no release). */
export const ReleaseTestsSchema = Type.Object(
  {
    decisions: Type.Integer({ description: 'Decisions with test cases' }),
    cases: Type.Integer(),
    passed: Type.Integer(),
  },
  { description: 'Only on the answer to a create with requireTests: the test cases run on the released contents' },
);
export type ReleaseTests = Static<typeof ReleaseTestsSchema>;

export const ReleaseDetailSchema = Type.Object({
  ...ReleaseSchema.properties,
  decisions: Type.Array(ReleaseEntrySchema),
  tests: Type.Optional(ReleaseTestsSchema),
});
export type ReleaseDetail = Static<typeof ReleaseDetailSchema>;

export const ReleaseRefParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  release: Type.String({ minLength: 1, maxLength: 64, description: "Release id, label, or 'latest'" }),
});

export const ReleaseDecisionParamsSchema = Type.Object({
  ...ReleaseRefParamsSchema.properties,
  key: Type.String({ minLength: 1, maxLength: 205 }),
});

export const ReleaseDiffQuerySchema = Type.Object({
  base: Type.String({ minLength: 1, maxLength: 64, description: 'Release to compare against (id, label or latest)' }),
  content: Type.Boolean({ default: false, description: 'Also say what changed inside each changed decision (its content diff)' }),
});

const ReleaseRefSchema = Type.Object({ id: Type.String(), label: Type.String() });

export const ReleaseDiffSchema = Type.Object({
  base: ReleaseRefSchema,
  target: ReleaseRefSchema,
  added: Type.Array(ReleaseEntrySchema),
  removed: Type.Array(ReleaseEntrySchema),
  changed: Type.Array(
    Type.Object({
      key: Type.String(),
      baseVersion: Type.Integer(),
      targetVersion: Type.Integer(),
      baseHash: Type.String(),
      targetHash: Type.String(),
      content: Type.Optional(ContentDiffSchema),
    }),
  ),
  unchanged: Type.Integer({ description: 'How many decisions are identical in both' }),
  contentOmitted: Type.Optional(
    Type.Integer({ description: 'With ?content=true: changed decisions past the first 100 (in key order), listed without a content diff' }),
  ),
});
export type ReleaseDiff = Static<typeof ReleaseDiffSchema>;

export const ReleaseDecisionSchema = Type.Object({
  ...ReleaseEntrySchema.properties,
  release: ReleaseRefSchema,
  content: JdmDocumentSchema,
});
