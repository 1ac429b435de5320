import { Type, type Static, type TSchema } from 'typebox';

/**
 * The structured difference between two versions of a JDM graph, defined once for the type, the
 * response validation and the OpenAPI document. Every change is a tagged object (`kind`), so a
 * client (the CLI, the console) handles each kind explicitly and a new kind fails their build.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A JSON value as written in the graph; long strings are cut (see `elided`). */
const JsonValue = Type.Unknown({ description: 'A JSON value from the graph; strings over the length limit are cut and large objects summarised (then `elided` is true)' });

export const NodeRefSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
});
export type NodeRef = Static<typeof NodeRefSchema>;

/** A generic change, for anything without a dedicated kind: what changed, where, as a JSON path. */
export const ValueChangeSchema = Type.Object({
  kind: Type.Literal('value-changed'),
  path: Type.String({ description: 'JSON path from the node (or the document), e.g. $.content.inputField' }),
  before: Type.Optional(JsonValue),
  after: Type.Optional(JsonValue),
  elided: Type.Optional(Type.Boolean({ description: 'before or after was too long to show whole' })),
});
export type ValueChange = Static<typeof ValueChangeSchema>;

const Column = Type.Object({ id: Type.String(), name: Type.String(), field: Nullable(Type.String()) });
const Side = Type.Union([Type.Literal('input'), Type.Literal('output')]);
const RuleRef = Type.Object({
  index: Type.Integer({ description: '1-based row in the table: in the newer version, or the older one for a removed rule' }),
  id: Nullable(Type.String({ description: "The rule's _id; null when it has none (then it was matched by row)" })),
});
const Cell = Type.Object({ columnId: Type.String(), column: Type.String(), side: Side, value: JsonValue });
const CellChange = Type.Object({ columnId: Type.String(), column: Type.String(), side: Side, before: JsonValue, after: JsonValue });
const Condition = JsonValue;
/** Expressions and switch statements are matched by id; null when an entry has none (then by position). */
const ItemId = Nullable(Type.String());

/** Entries moved relative to each other in an ordered list (rows, branches, expressions, columns). */
export const ReorderedSchema = Type.Object({
  kind: Type.Literal('reordered'),
  list: Type.Union([Type.Literal('rules'), Type.Literal('expressions'), Type.Literal('statements'), Type.Literal('inputs'), Type.Literal('outputs')]),
  moved: Type.Array(Type.Object({ id: Nullable(Type.String()), label: Type.String(), before: Type.Integer(), after: Type.Integer() }), {
    description: 'Entries out of their former relative order, 1-based positions; as few as explain the new order',
  }),
  movedCount: Type.Integer(),
  exact: Type.Boolean({ description: 'false: the lists were too different to find the fewest moves in bounded time' }),
});

const OneWay = <K extends string, P extends Record<string, TSchema>>(kind: K, properties: P) =>
  Type.Object({ kind: Type.Literal(kind), ...properties });

export const NodeDetailSchema = Type.Union([
  OneWay('renamed', { before: Type.String(), after: Type.String() }),
  OneWay('type-changed', { before: Type.String(), after: Type.String() }),
  OneWay('hit-policy-changed', { before: JsonValue, after: JsonValue }),
  OneWay('column-added', { side: Side, column: Column }),
  OneWay('column-removed', { side: Side, column: Column }),
  OneWay('column-changed', { side: Side, id: Type.String(), before: Column, after: Column }),
  OneWay('rule-added', { rule: RuleRef, cells: Type.Array(Cell), description: Type.Optional(JsonValue) }),
  OneWay('rule-removed', { rule: RuleRef, cells: Type.Array(Cell), description: Type.Optional(JsonValue) }),
  OneWay('rule-changed', {
    rule: RuleRef,
    beforeIndex: Type.Integer(),
    cells: Type.Array(CellChange),
    description: Type.Optional(Type.Object({ before: JsonValue, after: JsonValue })),
  }),
  OneWay('expression-added', { id: ItemId, index: Type.Integer(), key: JsonValue, value: JsonValue }),
  OneWay('expression-removed', { id: ItemId, index: Type.Integer(), key: JsonValue, value: JsonValue }),
  OneWay('expression-changed', {
    id: ItemId,
    index: Type.Integer(),
    before: Type.Object({ key: JsonValue, value: JsonValue }),
    after: Type.Object({ key: JsonValue, value: JsonValue }),
  }),
  OneWay('statement-added', { id: ItemId, index: Type.Integer(), condition: Condition }),
  OneWay('statement-removed', { id: ItemId, index: Type.Integer(), condition: Condition }),
  OneWay('statement-changed', { id: ItemId, index: Type.Integer(), before: Condition, after: Condition }),
  ReorderedSchema,
  OneWay('code-changed', {
    linesBefore: Type.Integer(),
    linesAfter: Type.Integer(),
    patch: Type.String({ description: 'Unified diff hunks (@@ -a,b +c,d @@), without file headers' }),
    exact: Type.Boolean({ description: 'false: too different to compare line by line in bounded time; the patch replaces every line' }),
    omittedLines: Type.Integer({ description: 'Patch lines left out past the limit' }),
  }),
  OneWay('sub-decision-changed', { before: JsonValue, after: JsonValue }),
  ValueChangeSchema,
]);
export type NodeDetail = Static<typeof NodeDetailSchema>;
export type NodeDetailKind = NodeDetail['kind'];

const EdgeEnd = Type.Object({ id: Type.String(), name: Nullable(Type.String()) });
export const EdgeRefSchema = Type.Object({
  id: Type.String(),
  source: EdgeEnd,
  target: EdgeEnd,
  sourceHandle: Nullable(Type.String()),
  branch: Nullable(Type.Integer({ description: "1-based switch statement the edge leaves from, when the source is a switch node" })),
});
export type EdgeRef = Static<typeof EdgeRefSchema>;

export const GraphChangeSchema = Type.Union([
  OneWay('node-added', { node: NodeRefSchema }),
  OneWay('node-removed', { node: NodeRefSchema }),
  OneWay('node-changed', {
    node: NodeRefSchema,
    content: Type.Boolean({ description: 'Its content changed (not only its name or type)' }),
    changes: Type.Array(NodeDetailSchema),
    omitted: Type.Integer({ description: 'Changes of this node not listed (limit reached)' }),
  }),
  OneWay('node-moved', { node: NodeRefSchema, before: JsonValue, after: JsonValue }),
  OneWay('edge-added', { edge: EdgeRefSchema }),
  OneWay('edge-removed', { edge: EdgeRefSchema }),
  ValueChangeSchema,
]);
export type GraphChange = Static<typeof GraphChangeSchema>;
export type GraphChangeKind = GraphChange['kind'];

export const ContentDiffSchema = Type.Object(
  {
    identical: Type.Boolean({
      description: 'The two contents are the same JSON (key order aside). Not identical with no changes listed: only the order of nodes or edges, or edge ids, differ',
    }),
    summary: Type.Object({
      nodesAdded: Type.Integer(),
      nodesRemoved: Type.Integer(),
      nodesChanged: Type.Integer({ description: 'Nodes whose name, type or content changed' }),
      nodesMoved: Type.Integer({ description: 'Nodes whose position changed: layout only, listed as node-moved and never as node-changed' }),
      edgesAdded: Type.Integer(),
      edgesRemoved: Type.Integer(),
      documentChanges: Type.Integer({ description: 'Changes outside nodes and edges (contentType, tests, ...)' }),
    }),
    changes: Type.Array(GraphChangeSchema, {
      description: 'Added, removed and changed nodes, edges and document values, then moved nodes; nodes in graph order',
    }),
    truncated: Type.Integer({ description: 'Changes (at any level) left out because the listing limit was reached; the summary still counts them' }),
    limit: Type.Integer({ description: 'The listing limit' }),
  },
  { description: 'What changed between two versions of a JDM graph' },
);
export type ContentDiff = Static<typeof ContentDiffSchema>;
