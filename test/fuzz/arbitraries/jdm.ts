import fc from 'fast-check';
import type { CorpusGraph } from '../harness/seed.js';
import { Members, Raw, deepValue, hostileKey, hostileScalar, hostileString, hostileValue, nested, type Json } from './json.js';

/** Brackets nested `depth` deep in an expression (the limit is 64). */
export function nestedExpression(depth: number, open: '(' | '[' | '{a:' | '`${'): string {
  const close = { '(': ')', '[': ']', '{a:': '}', '`${': '}`' }[open];
  return open.repeat(depth) + '1' + close.repeat(depth);
}

export const HOSTILE_EXPRESSIONS = [
  '',
  ' ',
  '1 +',
  ')',
  '(',
  '"unterminated',
  "'",
  '`',
  '${',
  '1e309',
  '-1e309',
  '1 / 0',
  '0 / 0',
  '10 % 0',
  '2 ^ 1024',
  // Runs ~26 s with no input at all: refused at save by the check deadline.
  'count([0..30000], count([0..30000], true) > 0)',
  'sum(map([0..200000], # * 2))',
  // Slow only with the right input.
  'count([0..(input ?? 0)], count([0..(input ?? 0)], true) > 0)',
  '__proto__',
  'constructor',
  'this',
  '$',
  '$root',
  '$nodes',
  'input.__proto__.polluted',
  'constructor.constructor("return process")()',
  'd("2024-13-45")',
  'date("garbage")',
  'matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "(a+)+$")',
  'matches("x", "(")',
  'string(1e308 * 10)',
  'number("1e309")',
  'upper("é😀")',
  '"\\u{10FFFF}"',
  '[1,2,3][99999999999]',
  'input[-1]',
  'x ?? y ?? z',
  'a.b.c.d.e.f.g.h.i.j',
  'true ? "a" : "b"',
  'null',
  '> 5',
  '< 10, > 20',
  '[1..10]',
  '"a", "b"',
  '$ > 0',
  'not("x")',
  '😀',
  'é + 1',
  'a\u202eb',
  'len("' + 'x'.repeat(5000) + '")',
  'rand(100)',
  '{a: 1, b: [1, 2, {c: "d"}]}',
  '[0..3000000]',
  'flatMap([[1], [2]], #)',
  'some([1, 2], # > 1) and all([], true)',
] as const;

/** Expressions and table cells a hostile editor could write. */
export const hostileExpression: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_EXPRESSIONS), weight: 6 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(2, 63, 64, 65, 200, 5000), fc.constantFrom<'(' | '[' | '{a:' | '`${'>('(', '[', '{a:', '`${'))
      .map(([d, open]) => nestedExpression(d, open)),
    weight: 2,
  },
  // Around the 100,000 character limit.
  { arbitrary: fc.integer({ min: 99_990, max: 100_010 }).map((n) => `"${'a'.repeat(n - 2)}"`), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 30 }), weight: 2 },
);

const FN = 'export const handler = async (input) =>';
export const HOSTILE_FUNCTIONS = [
  `${FN} input;`,
  `${FN} { for (;;) {} };`,
  `${FN} new Promise(() => {});`,
  `${FN} {`,
  `${FN} ${'('.repeat(3000)}1${')'.repeat(3000)};`,
  `import http from 'http'; ${FN} (await http.get('http://169.254.169.254/latest/meta-data')).data;`,
  `${FN} { throw new Error('x'.repeat(100000)); };`,
  `${FN} ({ big: 'x'.repeat(1000000) });`,
  `${FN} ({ __proto__: { polluted: true }, ok: 1 });`,
  `${FN} (typeof process === 'undefined' ? 'sandboxed' : 'process');`,
  `${FN} { const o = {}; o.self = o; return o; };`,
  `${FN} ({ n: 0 / 0, inf: 1 / 0, neg: -0 });`,
  'module.exports = 1;',
  '',
] as const;

export const hostileFunctionSource: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_FUNCTIONS), weight: 5 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), weight: 1 },
);

export type Mutation =
  | { readonly op: 'drop-path'; readonly pick: number }
  | { readonly op: 'retype-path'; readonly pick: number; readonly value: Json }
  | { readonly op: 'drop-field'; readonly pick: number; readonly field: string }
  | { readonly op: 'dup-node'; readonly pick: number }
  | { readonly op: 'dup-input' }
  | { readonly op: 'edge'; readonly pick: number; readonly how: 'dangling' | 'self' | 'reverse' | 'into-input' | 'from-output' | 'handle' | 'hostile'; readonly value: Json }
  | { readonly op: 'expr'; readonly pick: number; readonly expr: string }
  | { readonly op: 'cell'; readonly pick: number; readonly value: Json }
  | { readonly op: 'deep'; readonly pick: number; readonly value: Raw }
  | { readonly op: 'node-type'; readonly pick: number; readonly type: Json }
  | { readonly op: 'function'; readonly source: string; readonly legacy: boolean }
  | { readonly op: 'subdecision'; readonly pick: number; readonly key: Json }
  | { readonly op: 'many-nodes'; readonly count: number }
  | { readonly op: 'big-table'; readonly rows: number; readonly distinct: boolean }
  | { readonly op: 'hostile-member'; readonly pick: number; readonly key: string; readonly value: Json };

const pick = fc.nat();
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('drop-path' as const), pick }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('retype-path' as const), pick, value: hostileValue }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constant('drop-field' as const), pick, field: fc.constantFrom('id', 'type', 'name', 'content', 'nodes', 'edges', 'sourceId', 'targetId', 'expressions', 'rules', 'inputs', 'outputs', 'statements', 'hitPolicy') }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('dup-node' as const), pick }), weight: 1 },
  { arbitrary: fc.constant({ op: 'dup-input' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('edge' as const),
      pick,
      how: fc.constantFrom('dangling' as const, 'self' as const, 'reverse' as const, 'into-input' as const, 'from-output' as const, 'handle' as const, 'hostile' as const),
      value: hostileScalar,
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('expr' as const), pick, expr: hostileExpression }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('cell' as const), pick, value: hostileValue }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('deep' as const), pick, value: deepValue }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant('node-type' as const), pick, type: fc.oneof(fc.constantFrom<Json>('customNode', 'decisionNode', 'functionNode', 'unknownNode', '', 'inputNode', 'outputNode', 'switchNode'), hostileScalar) }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('function' as const), source: hostileFunctionSource, legacy: fc.boolean() }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('subdecision' as const),
      pick,
      key: fc.oneof(fc.constantFrom<Json>('loan-approval', 'loan-approval.json', 'self', '../../etc/passwd', '', '/', 'missing', 'recursive-table1'), hostileScalar),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('many-nodes' as const), count: fc.constantFrom(50, 5001) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('big-table' as const), rows: fc.constantFrom(500, 3000), distinct: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('hostile-member' as const), pick, key: hostileKey, value: hostileValue }), weight: 2 },
);

type Container = Record<string, unknown> | unknown[];
interface Slot {
  readonly container: Container;
  readonly key: string | number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Raw) && !(v instanceof Members);

/** Every value slot of a document (markers are leaves), at most `limit`. */
function slots(doc: unknown, limit = 5000): Slot[] {
  const found: Slot[] = [];
  const stack: unknown[] = [doc];
  while (stack.length > 0 && found.length < limit) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      current.forEach((v, i) => {
        found.push({ container: current, key: i });
        stack.push(v);
      });
    } else if (isPlainObject(current)) {
      for (const k of Object.keys(current)) {
        found.push({ container: current, key: k });
        stack.push(current[k]);
      }
    }
  }
  return found;
}

function setSlot(slot: Slot, value: unknown): void {
  (slot.container as Record<string | number, unknown>)[slot.key] = value;
}

function deleteSlot(slot: Slot): void {
  if (Array.isArray(slot.container)) slot.container.splice(slot.key as number, 1);
  else delete slot.container[slot.key as string];
}

const nodesOf = (doc: any): any[] => (Array.isArray(doc?.nodes) ? doc.nodes.filter(isPlainObject) : []);
const edgesOf = (doc: any): any[] => (Array.isArray(doc?.edges) ? doc.edges.filter(isPlainObject) : []);
const at = <T>(list: readonly T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined);

/** Where expressions live: expression values, switch conditions, table cells. */
function expressionSlots(doc: any): Slot[] {
  const found: Slot[] = [];
  for (const node of nodesOf(doc)) {
    const content = node.content;
    if (!isPlainObject(content)) continue;
    if (Array.isArray(content.expressions)) for (const e of content.expressions) if (isPlainObject(e)) found.push({ container: e, key: 'value' });
    if (Array.isArray(content.statements)) for (const s of content.statements) if (isPlainObject(s)) found.push({ container: s, key: 'condition' });
    if (Array.isArray(content.rules)) {
      const columns = [...(Array.isArray(content.inputs) ? content.inputs : []), ...(Array.isArray(content.outputs) ? content.outputs : [])].filter(isPlainObject);
      for (const rule of content.rules) if (isPlainObject(rule)) for (const c of columns) if (typeof c.id === 'string') found.push({ container: rule, key: c.id });
    }
  }
  return found;
}

function applyMutation(doc: any, m: Mutation): void {
  const nodes = nodesOf(doc);
  const edges = edgesOf(doc);
  switch (m.op) {
    case 'drop-path': {
      const slot = at(slots(doc), m.pick);
      if (slot) deleteSlot(slot);
      return;
    }
    case 'retype-path': {
      const slot = at(slots(doc), m.pick);
      if (slot) setSlot(slot, m.value);
      return;
    }
    case 'drop-field': {
      const holders = [doc, ...nodes, ...edges, ...nodes.map((n) => n.content).filter(isPlainObject)].filter((h) => isPlainObject(h) && m.field in h);
      const holder = at(holders, m.pick);
      if (holder) delete holder[m.field];
      return;
    }
    case 'dup-node': {
      const node = at(nodes, m.pick);
      if (node && Array.isArray(doc.nodes)) doc.nodes.push(structuredClone(node));
      return;
    }
    case 'dup-input': {
      const input = nodes.find((n) => n.type === 'inputNode');
      if (input && Array.isArray(doc.nodes)) doc.nodes.push({ ...structuredClone(input), id: `${String(input.id)}-2` });
      return;
    }
    case 'edge': {
      const edge = at(edges, m.pick);
      if (!edge || !Array.isArray(doc.edges)) return;
      const input = nodes.find((n) => n.type === 'inputNode');
      const output = nodes.find((n) => n.type === 'outputNode');
      switch (m.how) {
        case 'dangling':
          edge.targetId = 'no-such-node';
          return;
        case 'self':
          edge.targetId = edge.sourceId;
          return;
        case 'reverse':
          doc.edges.push({ id: `${String(edge.id)}-back`, sourceId: edge.targetId, targetId: edge.sourceId });
          return;
        case 'into-input':
          if (input) doc.edges.push({ id: 'into-input', sourceId: edge.sourceId, targetId: input.id });
          return;
        case 'from-output':
          if (output) doc.edges.push({ id: 'from-output', sourceId: output.id, targetId: edge.targetId });
          return;
        case 'handle':
          edge.sourceHandle = 'no-such-branch';
          return;
        case 'hostile':
          edge[['id', 'sourceId', 'targetId', 'sourceHandle'][m.pick % 4]!] = m.value;
          return;
      }
      return;
    }
    case 'expr': {
      const slot = at(expressionSlots(doc), m.pick);
      if (slot) setSlot(slot, m.expr);
      else if (Array.isArray(doc.nodes)) doc.nodes.push({ id: 'hostile-expr', type: 'expressionNode', name: 'Hostile', content: { expressions: [{ id: 'h', key: 'out', value: m.expr }] } });
      return;
    }
    case 'cell': {
      const slot = at(expressionSlots(doc), m.pick);
      if (slot) setSlot(slot, m.value);
      return;
    }
    case 'deep': {
      const node = at(nodes, m.pick);
      if (node && isPlainObject(node.content)) node.content.deep = m.value;
      else if (node) node.meta = m.value;
      else doc.deep = m.value;
      return;
    }
    case 'node-type': {
      const node = at(nodes, m.pick);
      if (node) node.type = m.type;
      return;
    }
    case 'function': {
      const node = nodes.find((n) => n.type !== 'inputNode' && n.type !== 'outputNode');
      const content = m.legacy ? m.source : { source: m.source };
      if (node) {
        node.type = 'functionNode';
        node.content = content;
      } else if (Array.isArray(doc.nodes)) {
        doc.nodes.push({ id: 'fn', type: 'functionNode', name: 'Fn', content });
      }
      return;
    }
    case 'subdecision': {
      const node = at(
        nodes.filter((n) => n.type !== 'inputNode'),
        m.pick,
      );
      if (node) {
        node.type = 'decisionNode';
        node.content = { key: m.key };
      }
      return;
    }
    case 'many-nodes': {
      if (!Array.isArray(doc.nodes)) return;
      for (let i = 0; i < m.count; i++) doc.nodes.push({ id: `extra-${i}`, type: 'expressionNode', name: `Extra ${i}`, content: { expressions: [{ id: `x${i}`, key: `k${i}`, value: `${i}` }] } });
      return;
    }
    case 'big-table': {
      if (!Array.isArray(doc.nodes)) return;
      const rules = [];
      for (let i = 0; i < m.rows; i++) {
        const j = m.distinct ? i : i % 50;
        rules.push({ _id: `r${i}`, c1: `>= ${j}`, o1: `${j * 3}` });
      }
      doc.nodes.push({
        id: 'big-table',
        type: 'decisionTableNode',
        name: 'Big table',
        content: { hitPolicy: 'first', inputs: [{ id: 'c1', name: 'N', field: 'n' }], outputs: [{ id: 'o1', name: 'Out', field: 'out' }], rules },
      });
      return;
    }
    case 'hostile-member': {
      const holders = [doc, ...nodes, ...edges, ...nodes.map((n) => n.content).filter(isPlainObject)];
      const holder = at(holders, m.pick);
      if (holder) holder[m.key] = m.value;
      return;
    }
  }
}

export interface MutatedGraph {
  readonly base: string;
  readonly mutations: readonly string[];
  /** The document, markers included (write it with toJsonText). */
  readonly doc: Json;
}

/**
 * A corpus graph with 0-4 mutations; `unchanged` of every four come unchanged (by default two),
 * so saves and simulations succeed too.
 */
export function mutatedGraph(corpus: readonly CorpusGraph[], unchanged = 2): fc.Arbitrary<MutatedGraph> {
  return fc
    .tuple(
      fc.nat({ max: corpus.length - 1 }),
      fc.oneof({ arbitrary: fc.constant([] as Mutation[]), weight: unchanged }, { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }), weight: 4 - unchanged }),
      fc.boolean(),
    )
    .map(([index, mutations, keepTests]) => {
      const graph = corpus[index]!;
      const doc = structuredClone(graph.doc);
      if (!keepTests) delete doc.tests;
      for (const m of mutations) applyMutation(doc, m);
      return { base: graph.name, mutations: mutations.map(describeMutation), doc: doc as Json };
    });
}

/** A document that is not a graph at all. */
export const notAGraph: fc.Arbitrary<Json> = fc.oneof(
  hostileValue,
  fc.constantFrom<Json>({}, { nodes: [] }, { edges: [] }, { nodes: {}, edges: [] }, { nodes: [], edges: [] }, { nodes: [null], edges: [] }, { nodes: 'x', edges: 'y' }),
  fc.constantFrom(62, 63, 64, 65, 3000).map((d) => new Members([['nodes', nested(d, 'array', '[]')], ['edges', new Raw('[]')]])),
);

function describeMutation(m: Mutation): string {
  const shown = JSON.stringify(m, (_k, v: unknown) => (v instanceof Raw ? `<raw ${v.text.length} chars: ${v.text.slice(0, 20)}>` : v instanceof Members ? `<members ${v.entries.length}>` : typeof v === 'string' && v.length > 60 ? `${v.slice(0, 40)}...(${v.length} chars)` : v));
  return shown.length > 200 ? `${shown.slice(0, 200)}...` : shown;
}

export { hostileString };
