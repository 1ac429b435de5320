import { display, short, type DiffContext } from './context.js';
import { genericDiff } from './generic-diff.js';
import { matchEntries } from './keyed-lists.js';
import { DEFAULT_DIFF_LIMITS, EntryBudget, type DiffLimits } from './limits.js';
import { compareNodes } from './node-diff.js';
import type { ContentDiff, EdgeRef, GraphChange, NodeRef } from './schemas.js';
import { isObject, sameJson, text, without, type JsonObject } from './values.js';

const GRAPH_KEYS = new Set(['nodes', 'edges']);

const listOf = (doc: unknown, key: string): unknown[] => (isObject(doc) && Array.isArray(doc[key]) ? doc[key] : []);
const asObject = (value: unknown): JsonObject => (isObject(value) ? value : {});

function nodeRef(ctx: DiffContext, node: unknown): NodeRef {
  return { id: short(ctx, text(node, 'id') ?? ''), name: short(ctx, text(node, 'name') ?? ''), type: short(ctx, text(node, 'type') ?? '') };
}

/**
 * The structured difference between two JDM graphs (the content of two decision versions).
 * Nodes are matched by id: added, removed, changed (name, type, content by node type, see
 * node-diff.ts) and moved (position only, listed apart). Edges are matched by what they connect
 * (source, branch, target), not by id: the editor gives a redrawn edge a new id, and that is no
 * change to the decision. Members of the document beside nodes and edges (contentType, tests)
 * get the generic diff.
 *
 * Pure and bounded: linear in the size of the graphs apart from jsdiff calls capped by `limits`,
 * and at most `limits.maxEntries` entries listed (the rest counted in `truncated`).
 */
export function diffDecisionContent(before: unknown, after: unknown, limits: Partial<DiffLimits> = {}): ContentDiff {
  const all: DiffLimits = { ...DEFAULT_DIFF_LIMITS, ...limits };
  const ctx: DiffContext = { limits: all, budget: new EntryBudget(all.maxEntries, all.maxPatchLines) };
  const summary: ContentDiff['summary'] = { nodesAdded: 0, nodesRemoved: 0, nodesChanged: 0, nodesMoved: 0, edgesAdded: 0, edgesRemoved: 0, documentChanges: 0 };
  const identical = sameJson(before, after);
  if (identical) return { identical, summary, changes: [], truncated: 0, limit: all.maxEntries };

  const changes: GraphChange[] = [];
  const nodes = matchEntries(ctx, listOf(before, 'nodes'), listOf(after, 'nodes'), 'id');
  summary.nodesAdded = nodes.added.length;
  summary.nodesRemoved = nodes.removed.length;
  for (const e of nodes.added) if (ctx.budget.take()) changes.push({ kind: 'node-added', node: nodeRef(ctx, e.item) });
  for (const e of nodes.removed) if (ctx.budget.take()) changes.push({ kind: 'node-removed', node: nodeRef(ctx, e.item) });

  const moved: { node: NodeRef; before: unknown; after: unknown }[] = [];
  for (const { before: b, after: a } of nodes.common) {
    const comparison = compareNodes(ctx, asObject(b.item), asObject(a.item));
    if (comparison.changed) summary.nodesChanged++;
    if (comparison.listed) {
      changes.push({ kind: 'node-changed', node: nodeRef(ctx, a.item), content: comparison.contentChanged, changes: comparison.details, omitted: comparison.omitted });
    }
    if (comparison.moved) moved.push({ node: nodeRef(ctx, a.item), before: asObject(b.item).position ?? null, after: asObject(a.item).position ?? null });
  }

  const edges = diffEdges(ctx, before, after);
  summary.edgesAdded = edges.added.length;
  summary.edgesRemoved = edges.removed.length;
  for (const edge of edges.removed) if (ctx.budget.take()) changes.push({ kind: 'edge-removed', edge });
  for (const edge of edges.added) if (ctx.budget.take()) changes.push({ kind: 'edge-added', edge });

  summary.documentChanges = genericDiff(ctx, without(asObject(before), GRAPH_KEYS), without(asObject(after), GRAPH_KEYS), '$', changes);

  summary.nodesMoved = moved.length;
  for (const m of moved) {
    if (ctx.budget.take()) changes.push({ kind: 'node-moved', node: m.node, before: display(ctx, m.before), after: display(ctx, m.after) });
  }
  return { identical, summary, changes, truncated: ctx.budget.truncated, limit: all.maxEntries };
}

interface GraphIndex {
  readonly nodes: Map<string, JsonObject>;
  /** Per switch node, statement id -> 1-based position; filled when an edge needs it. */
  readonly branches: Map<string, Map<string, number>>;
}

function indexGraph(doc: unknown): GraphIndex {
  const nodes = new Map<string, JsonObject>();
  for (const node of listOf(doc, 'nodes')) {
    const id = text(node, 'id');
    if (id !== undefined && !nodes.has(id) && isObject(node)) nodes.set(id, node);
  }
  return { nodes, branches: new Map() };
}

function branchOf(graph: GraphIndex, sourceId: string, handle: string): number | null {
  let positions = graph.branches.get(sourceId);
  if (!positions) {
    positions = new Map();
    const content = graph.nodes.get(sourceId)?.content;
    const statements = isObject(content) && Array.isArray(content.statements) ? content.statements : [];
    statements.forEach((statement, i) => {
      const id = text(statement, 'id');
      if (id !== undefined && !positions!.has(id)) positions!.set(id, i + 1);
    });
    graph.branches.set(sourceId, positions);
  }
  return positions.get(handle) ?? null;
}

/** Edges that connect something new, and edges whose connection is gone (a multiset of connections). */
function diffEdges(ctx: DiffContext, before: unknown, after: unknown): { added: EdgeRef[]; removed: EdgeRef[] } {
  const older = indexGraph(before);
  const newer = indexGraph(after);
  const keyOf = (edge: unknown) => JSON.stringify([text(edge, 'sourceId') ?? null, text(edge, 'sourceHandle') ?? null, text(edge, 'targetId') ?? null]);
  const waiting = new Map<string, number>();
  for (const edge of listOf(before, 'edges')) waiting.set(keyOf(edge), (waiting.get(keyOf(edge)) ?? 0) + 1);
  const added: EdgeRef[] = [];
  for (const edge of listOf(after, 'edges')) {
    const key = keyOf(edge);
    const left = waiting.get(key) ?? 0;
    if (left > 0) waiting.set(key, left - 1);
    else added.push(edgeRef(ctx, edge, newer));
  }
  const removed: EdgeRef[] = [];
  for (const edge of listOf(before, 'edges')) {
    const key = keyOf(edge);
    const left = waiting.get(key) ?? 0;
    if (left > 0) {
      waiting.set(key, left - 1);
      removed.push(edgeRef(ctx, edge, older));
    }
  }
  return { added, removed };
}

/** An edge with the names of the nodes it joins and, leaving a switch, which branch it is. */
function edgeRef(ctx: DiffContext, edge: unknown, graph: GraphIndex): EdgeRef {
  const sourceId = text(edge, 'sourceId') ?? '';
  const targetId = text(edge, 'targetId') ?? '';
  const sourceHandle = text(edge, 'sourceHandle') ?? null;
  const source = graph.nodes.get(sourceId);
  const branch = source?.type === 'switchNode' && sourceHandle !== null ? branchOf(graph, sourceId, sourceHandle) : null;
  const name = (node: unknown) => {
    const found = text(node, 'name');
    return found === undefined ? null : short(ctx, found);
  };
  return {
    id: short(ctx, text(edge, 'id') ?? ''),
    source: { id: short(ctx, sourceId), name: name(source) },
    target: { id: short(ctx, targetId), name: name(graph.nodes.get(targetId)) },
    sourceHandle: sourceHandle === null ? null : short(ctx, sourceHandle),
    branch,
  };
}
