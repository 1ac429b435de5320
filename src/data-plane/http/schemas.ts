import { Type, type Static } from 'typebox';

const TraceOption = Type.Boolean({ default: false, description: 'Include the per-node trace (slower)' });

export const EvaluateBodySchema = Type.Object(
  {
    context: Type.Record(Type.String(), Type.Unknown(), { description: 'The input the decision is evaluated with' }),
    trace: Type.Optional(TraceOption),
  },
  { additionalProperties: false },
);
export type EvaluateBody = Static<typeof EvaluateBodySchema>;

export const EvaluationDetailsSchema = Type.Object({
  releaseId: Type.String(),
  releaseLabel: Type.String(),
  environment: Type.String(),
  evaluator: Type.Optional(
    Type.Union([Type.Literal('compiled'), Type.Literal('zen')], {
      description: 'compiled: the decision compiled to JavaScript (proven equal to zen-engine); zen: zen-engine (VERDICT_EVALUATOR, traces, function nodes, what the compiler refuses)',
    }),
  ),
});

export const EvaluateResponseSchema = Type.Object({
  result: Type.Unknown(),
  performance: Type.String({ description: "The engine's own timing, e.g. '247.0µs'" }),
  trace: Type.Optional(Type.Unknown()),
  details: EvaluationDetailsSchema,
});
export type EvaluateResponse = Static<typeof EvaluateResponseSchema>;

export const EvaluateBatchBodySchema = Type.Object(
  {
    contexts: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, description: 'Inputs, evaluated concurrently; results come back in the same order' }),
    trace: Type.Optional(TraceOption),
  },
  { additionalProperties: false },
);
export type EvaluateBatchBody = Static<typeof EvaluateBatchBodySchema>;

const ItemErrorSchema = Type.Object({
  status: Type.Integer(),
  code: Type.String(),
  title: Type.String(),
  detail: Type.String(),
  nodeId: Type.Optional(Type.String()),
  nodeName: Type.Optional(Type.String()),
});

export const EvaluateBatchResponseSchema = Type.Object({
  results: Type.Array(
    Type.Union([
      Type.Object({ result: Type.Unknown(), performance: Type.String(), trace: Type.Optional(Type.Unknown()) }),
      Type.Object({ error: ItemErrorSchema }),
    ]),
  ),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  details: EvaluationDetailsSchema,
});
export type EvaluateBatchResponse = Static<typeof EvaluateBatchResponseSchema>;

export const EvaluateParamsSchema = Type.Object({
  project: Type.String({ minLength: 1, maxLength: 63 }),
  '*': Type.String({ minLength: 1, maxLength: 205, description: "Decision key; slashes allowed; a '.json' suffix is ignored" }),
});

export const EvaluateEnvParamsSchema = Type.Object({
  ...EvaluateParamsSchema.properties,
  env: Type.String({ minLength: 1, maxLength: 63 }),
});

export const ServingSchema = Type.Object({
  project: Type.String(),
  environment: Type.String(),
  releaseId: Type.Union([Type.String(), Type.Null()]),
  releaseLabel: Type.Union([Type.String(), Type.Null()]),
  changeCounter: Type.Integer(),
  loadedAt: Type.String({ format: 'date-time' }),
  evaluators: Type.Array(
    Type.Object({
      decision: Type.String(),
      evaluator: Type.Union([Type.Literal('compiled'), Type.Literal('zen'), Type.Literal('checking')]),
      checkedCases: Type.Optional(Type.Integer({ description: 'Contexts on which the compiled form agreed with zen-engine at load' })),
      reasons: Type.Optional(Type.Array(Type.String(), { description: 'Why it runs on zen-engine (or is still being checked)' })),
    }),
    { description: "The release's compile report on this node: which decisions run compiled, and why the others run on zen-engine" },
  ),
});
