import { Type, type Static } from 'typebox';
import { JdmDocumentSchema } from '../../lib/jdm.js';

export const SimulateBodySchema = Type.Object(
  {
    context: Type.Record(Type.String(), Type.Unknown()),
    trace: Type.Boolean({ default: true }),
    content: Type.Optional(JdmDocumentSchema),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 205, description: 'A stored decision to evaluate (instead of content)' })),
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'With key: that version instead of the latest' })),
    release: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Resolve the decision and its sub-decisions as in this release (default: latest versions)' }),
    ),
  },
  { additionalProperties: false, description: 'Give either content (a draft) or key' },
);
export type SimulateBody = Static<typeof SimulateBodySchema>;

export const SimulateResponseSchema = Type.Object({
  result: Type.Unknown(),
  performance: Type.String(),
  trace: Type.Optional(Type.Unknown()),
});

export const SimulateQuerySchema = Type.Object({
  engine: Type.Optional(
    Type.Union([Type.Literal('auto'), Type.Literal('zen')], {
      description: 'auto: without trace, the compiled form when the compiler accepts the graph (zen-engine otherwise); zen: always zen-engine, to compare (default auto)',
    }),
  ),
});
