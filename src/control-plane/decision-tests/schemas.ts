import { Type, type Static } from 'typebox';
import { DecisionKeyParamSchema } from '../decisions/schemas.js';

export const RunTestsBodySchema = Type.Object(
  {
    release: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "Run the tests of this release (id, label or 'latest'); default: the latest saved version of every decision" }),
    ),
    decisions: Type.Optional(
      Type.Array(DecisionKeyParamSchema, { minItems: 1, maxItems: 1000, description: 'Only these decisions (default: every decision); sub-decisions they call are loaded either way' }),
    ),
  },
  { additionalProperties: false },
);
export type RunTestsBody = Static<typeof RunTestsBodySchema>;

export const DifferenceSchema = Type.Object({
  path: Type.String({ description: "JSON Pointer into the result ('' is the whole result)" }),
  expected: Type.Optional(Type.Unknown({ description: 'Absent: the key is only in the actual result' })),
  actual: Type.Optional(Type.Unknown({ description: 'Absent: the key is missing from the actual result' })),
});

export const TestCaseResultSchema = Type.Object({
  index: Type.Integer({ description: "0-based position in the decision's `tests`" }),
  name: Type.Optional(Type.String()),
  passed: Type.Boolean(),
  expected: Type.Optional(Type.Unknown({ description: "The case's output" })),
  actual: Type.Optional(Type.Unknown({ description: 'The result the decision gave, when it differs from expected (a passed case gave expected)' })),
  input: Type.Optional(Type.Unknown({ description: "A failed case's input" })),
  error: Type.Optional(Type.String({ description: 'Why no result was compared: the engine failed or timed out, or the case cannot run' })),
  differences: Type.Optional(Type.Array(DifferenceSchema, { description: 'Where actual differs from expected (the first 20)' })),
});
export type TestCaseResult = Static<typeof TestCaseResultSchema>;

export const DecisionTestResultSchema = Type.Object({
  key: Type.String(),
  version: Type.Integer(),
  contentHash: Type.String(),
  passed: Type.Integer(),
  failed: Type.Integer(),
  cases: Type.Array(TestCaseResultSchema),
});
export type DecisionTestResult = Static<typeof DecisionTestResultSchema>;

export const TestTotalsSchema = Type.Object({
  decisions: Type.Integer({ description: 'Decisions with test cases that ran' }),
  cases: Type.Integer(),
  passed: Type.Integer(),
  failed: Type.Integer(),
});
export type TestTotals = Static<typeof TestTotalsSchema>;

export const TestRunSchema = Type.Object({
  source: Type.Union([
    Type.Object({ kind: Type.Literal('drafts') }, { description: 'The latest saved version of every decision' }),
    Type.Object({ kind: Type.Literal('release'), id: Type.String(), label: Type.String() }),
  ]),
  passed: Type.Boolean({ description: 'No case failed' }),
  totals: TestTotalsSchema,
  decisions: Type.Array(DecisionTestResultSchema, { description: 'Decisions with test cases, by key' }),
  untested: Type.Array(Type.String(), { description: 'Decisions in the run without test cases' }),
});
export type TestRun = Static<typeof TestRunSchema>;
