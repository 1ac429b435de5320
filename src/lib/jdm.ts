import { Type, type Static } from 'typebox';

/**
 * The JSON Decision Model as GoRules writes it. The schema checks only the frame (nodes and
 * edges with ids); `validateJdm` checks the graph and compiles every expression, so its errors can
 * name the node, rule and column. Unknown properties are kept: documents round-trip unchanged.
 */
export const JdmNodeSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    type: Type.String({ minLength: 1 }),
    // The engine refuses a node without a name ("missing field `name`").
    name: Type.String(),
    content: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);

export const JdmEdgeSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    sourceId: Type.String({ minLength: 1 }),
    targetId: Type.String({ minLength: 1 }),
    sourceHandle: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: true },
);

export const JdmDocumentSchema = Type.Object(
  {
    contentType: Type.Optional(Type.String()),
    nodes: Type.Array(JdmNodeSchema),
    edges: Type.Array(JdmEdgeSchema),
  },
  { additionalProperties: true, description: 'A JDM decision graph, exactly as the GoRules editor writes it' },
);

export type JdmNode = Static<typeof JdmNodeSchema> & Record<string, unknown>;
export type JdmEdge = Static<typeof JdmEdgeSchema> & Record<string, unknown>;
export type JdmDocument = Static<typeof JdmDocumentSchema> & Record<string, unknown>;

export const NODE_TYPES = [
  'inputNode',
  'outputNode',
  'decisionTableNode',
  'expressionNode',
  'switchNode',
  'functionNode',
  'decisionNode',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export function isNodeType(type: string): type is NodeType {
  return (NODE_TYPES as readonly string[]).includes(type);
}

/** Sub-decision references a graph makes (decisionNode content.key), as written. */
export function subDecisionReferences(doc: JdmDocument): { nodeId: string; nodeName: string; reference: string }[] {
  return doc.nodes.flatMap((node) => {
    if (node.type !== 'decisionNode') return [];
    const key = (node.content as { key?: unknown } | undefined)?.key;
    return typeof key === 'string' ? [{ nodeId: node.id, nodeName: node.name ?? node.id, reference: key }] : [];
  });
}

/**
 * The graph without its test cases (`tests`, stored in the document the way the JDM corpus keeps
 * them): what the engine needs. The engine ignores `tests`; leaving them out spares it copying
 * and holding up to a megabyte of cases per decision.
 */
export function withoutTests(doc: JdmDocument): JdmDocument {
  if (!('tests' in doc)) return doc;
  const { tests: _tests, ...graph } = doc;
  return graph as JdmDocument;
}
