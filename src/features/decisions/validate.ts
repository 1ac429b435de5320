import * as acorn from 'acorn';
import { AppError } from '../../errors.js';
import { describeJsonProblem, expressionNesting, jsonProblem } from '../../lib/json-limits.js';
import type { CheckResult, ExpressionCheck } from '../../data-plane/engine/protocol.js';
import { isNodeType, type JdmDocument, type JdmNode } from '../../lib/jdm.js';

/**
 * The engine's side of validation: compiling expressions and loading a graph. It runs in the
 * engine's isolated process (see EnginePool), so a costly or crashing expression in a saved graph
 * can neither stall nor crash the node.
 */
export interface JdmChecker {
  check(items: readonly ExpressionCheck[]): Promise<CheckResult[]>;
  loadable(content: JdmDocument): Promise<string | undefined>;
}

export interface JdmLimits {
  /** Deepest nesting of the document's JSON (VERDICT_MAX_JSON_DEPTH). */
  readonly maxJsonDepth: number;
}

export const DEFAULT_JDM_LIMITS: JdmLimits = Object.freeze({ maxJsonDepth: 64 });
/** Brackets nest this deep at most in one expression: the engine's parser recurses per level. */
export const MAX_EXPRESSION_NESTING = 64;
export const MAX_EXPRESSION_LENGTH = 100_000;

/** One thing wrong with a graph, located as precisely as the graph allows. */
export interface JdmProblem {
  readonly message: string;
  readonly nodeId?: string;
  readonly nodeName?: string;
  readonly nodeType?: string;
  /** Decision table: 1-based rule number and the rule's `_id`. */
  readonly rule?: number;
  readonly ruleId?: string;
  /** Decision table: column name and id. */
  readonly column?: string;
  readonly columnId?: string;
  /** Expression or switch statement id, edge id... */
  readonly itemId?: string;
  readonly expression?: string;
}

type Locator = Omit<JdmProblem, 'message'>;

const MAX_REPORTED = 50;
/** Far above any real decision graph; keeps a hostile document from costing unbounded work. */
export const MAX_NODES = 5_000;
export const MAX_EDGES = 20_000;

/**
 * Checks a JDM graph the way the engine will use it: known node types, unique ids, edges between
 * existing nodes, exactly one input node, no cycles, and every expression, table cell and function
 * source compiled. Returns every problem found (capped), so an editor can fix them in one pass.
 */
export async function validateJdm(doc: JdmDocument, checker: JdmChecker, limits: JdmLimits = DEFAULT_JDM_LIMITS): Promise<JdmProblem[]> {
  const problems: JdmProblem[] = [];
  const report = (message: string, at: Locator = {}) => {
    if (problems.length < MAX_REPORTED) problems.push({ ...at, message });
  };
  if (doc.nodes.length > MAX_NODES || doc.edges.length > MAX_EDGES) {
    report(`the graph has ${doc.nodes.length} nodes and ${doc.edges.length} edges; at most ${MAX_NODES} nodes and ${MAX_EDGES} edges are accepted`);
    return problems;
  }
  // Before anything else looks inside: the engine crashes on very deep values.
  const shape = jsonProblem(doc, { maxDepth: limits.maxJsonDepth });
  if (shape) {
    report(describeJsonProblem(shape, 'the graph'));
    return problems;
  }
  const compiler = new ExpressionCompiler(checker);

  const byId = new Map<string, JdmNode>();
  for (const node of doc.nodes) {
    const at = locate(node);
    if (byId.has(node.id)) report(`node id '${node.id}' is used by more than one node`, at);
    byId.set(node.id, node);
    if (!isNodeType(node.type)) {
      report(
        node.type === 'customNode'
          ? 'custom nodes need a handler in the host application; Verdict does not support them'
          : `unknown node type '${node.type}'`,
        at,
      );
      continue;
    }
    checkNodeContent(node, at, report, compiler);
  }

  const inputs = doc.nodes.filter((n) => n.type === 'inputNode');
  if (inputs.length !== 1) {
    report(
      inputs.length === 0
        ? 'the graph has no input node (the engine needs exactly one)'
        : `the graph has ${inputs.length} input nodes (${inputs.map((n) => `'${n.name ?? n.id}'`).join(', ')}); the engine needs exactly one`,
    );
  }

  const outgoing = new Map<string, string[]>();
  for (const edge of doc.edges) {
    const source = byId.get(edge.sourceId);
    const target = byId.get(edge.targetId);
    if (!source) report(`edge '${edge.id}' starts at node '${edge.sourceId}', which does not exist`, { itemId: edge.id });
    if (!target) report(`edge '${edge.id}' ends at node '${edge.targetId}', which does not exist`, { itemId: edge.id });
    if (!source || !target) continue;
    if (target.type === 'inputNode') report(`edge '${edge.id}' leads into the input node`, { ...locate(target), itemId: edge.id });
    if (source.type === 'outputNode') report(`edge '${edge.id}' leaves the output node`, { ...locate(source), itemId: edge.id });
    if (edge.sourceHandle && source.type === 'switchNode') {
      const statements = (source.content as { statements?: { id?: unknown }[] } | undefined)?.statements ?? [];
      if (!statements.some((s) => s.id === edge.sourceHandle)) {
        report(`edge '${edge.id}' leaves from switch branch '${edge.sourceHandle}', which the switch does not have`, {
          ...locate(source),
          itemId: edge.id,
        });
      }
    }
    outgoing.set(source.id, [...(outgoing.get(source.id) ?? []), target.id]);
  }

  const cycle = findCycle(doc.nodes, outgoing);
  if (cycle) {
    const names = cycle.map((id) => `'${byId.get(id)?.name ?? id}'`).join(' -> ');
    report(`the graph has a cycle: ${names}`, locate(byId.get(cycle[0]!)!));
  }

  checkResultIsDefined(doc, outgoing, report);
  await compiler.flush();
  if (problems.length === 0) {
    // The last word: the engine itself must be able to load the graph. It parses node contents
    // into its own types, so a field it needs and our checks do not know about is caught here, at
    // save time, instead of on every node that loads the release.
    const refusal = await checker.loadable(doc);
    if (refusal !== undefined) report(`the engine cannot load this graph: ${refusal.replaceAll('`', "'")}`);
  }
  return problems;
}

/** Throws one 422 problem listing every problem of every invalid graph, each tagged with its decision key. */
export async function assertValidDecisions(
  decisions: readonly { key: string; content: JdmDocument }[],
  checker: JdmChecker,
  limits: JdmLimits = DEFAULT_JDM_LIMITS,
): Promise<void> {
  const problems: (JdmProblem & { decision: string })[] = [];
  // One graph after another: their checks share the engine's isolated process anyway.
  for (const { key, content } of decisions) for (const p of await validateJdm(content, checker, limits)) problems.push({ decision: key, ...p });
  const first = problems[0];
  if (!first) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new AppError('invalid-decision', `decision '${first.decision}': ${describe(first)}${more}`, { errors: problems });
}

export function describe(p: JdmProblem): string {
  const where: string[] = [];
  if (p.nodeName !== undefined || p.nodeId !== undefined) where.push(`node '${p.nodeName ?? p.nodeId}' (id ${p.nodeId})`);
  if (p.rule !== undefined) where.push(`rule ${p.rule}`);
  if (p.column !== undefined) where.push(`column '${p.column}'`);
  return where.length ? `${where.join(', ')}: ${p.message}` : p.message;
}

function locate(node: JdmNode): Locator {
  return { nodeId: node.id, nodeName: node.name ?? node.id, nodeType: node.type };
}

type Report = (message: string, at?: Locator) => void;

/**
 * A graph without an output node returns what its last nodes produce; the engine has allowed that
 * since nodes gained output settings (passThrough, inputField, outputPath, executionMode). A graph
 * whose last nodes are in the older format, written for an engine that required a Response node,
 * is refused: its author meant to have one.
 */
function checkResultIsDefined(doc: JdmDocument, outgoing: Map<string, string[]>, report: Report): void {
  if (doc.nodes.some((n) => n.type === 'outputNode')) return;
  const modern = ['passThrough', 'passThorough', 'inputField', 'outputPath', 'executionMode'];
  for (const node of doc.nodes) {
    if ((outgoing.get(node.id)?.length ?? 0) > 0 || node.type === 'inputNode') continue;
    const content = node.content;
    const hasOutputSettings = typeof content === 'object' && content !== null && modern.some((k) => k in content);
    if (node.type === 'decisionNode' || node.type === 'functionNode' || hasOutputSettings) continue;
    report(
      'the graph has no output node, and this last node has no output settings (passThrough/outputPath) to define the result; connect it to an output node',
      locate(node),
    );
  }
}

/** A cycle as a list of node ids (first = last), found with an iterative depth-first search. */
function findCycle(nodes: readonly JdmNode[], outgoing: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    const path: string[] = [start.id];
    const cursors: number[] = [0];
    state.set(start.id, 'visiting');
    while (path.length > 0) {
      const id = path[path.length - 1]!;
      const next = (outgoing.get(id) ?? [])[cursors[cursors.length - 1]!++];
      if (next === undefined) {
        state.set(id, 'done');
        path.pop();
        cursors.pop();
      } else if (state.get(next) === 'visiting') {
        return [...path.slice(path.indexOf(next)), next];
      } else if (!state.has(next)) {
        state.set(next, 'visiting');
        path.push(next);
        cursors.push(0);
      }
    }
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkNodeContent(node: JdmNode, at: Locator, report: Report, compiler: ExpressionCompiler): void {
  const content = node.content;
  switch (node.type) {
    case 'inputNode':
    case 'outputNode':
      return;
    case 'expressionNode': {
      const expressions = isObject(content) ? content.expressions : undefined;
      if (!Array.isArray(expressions)) return report('content.expressions must be an array', at);
      expressions.forEach((e: unknown, i) => {
        if (!isObject(e) || typeof e.key !== 'string' || typeof e.value !== 'string') {
          return report(`expression ${i + 1} must have string 'key' and 'value'`, at);
        }
        const item = { ...at, itemId: typeof e.id === 'string' ? e.id : undefined, expression: e.value };
        if (e.key.trim() === '') report(`expression ${i + 1} has an empty key`, item);
        const name = e.key;
        compiler.standard(e.value, (error) => report(`expression '${name}' does not compile: ${error}`, item));
      });
      return;
    }
    case 'switchNode': {
      const statements = isObject(content) ? content.statements : undefined;
      if (!isObject(content) || !Array.isArray(statements)) return report('content.statements must be an array', at);
      checkHitPolicy(content, at, report);
      statements.forEach((s: unknown, i) => {
        if (!isObject(s) || typeof s.id !== 'string') return report(`statement ${i + 1} must have a string 'id'`, at);
        const condition = s.condition ?? '';
        if (typeof condition !== 'string') return report(`statement ${i + 1} has a condition that is not a string`, { ...at, itemId: s.id });
        if (condition.trim() === '') return; // an empty condition is the default branch
        const branch = { ...at, itemId: s.id, expression: condition };
        compiler.standard(condition, (error) => report(`condition of branch ${i + 1} does not compile: ${error}`, branch));
      });
      return;
    }
    case 'decisionTableNode':
      return checkDecisionTable(content, at, report, compiler);
    case 'functionNode': {
      // Legacy function nodes hold a script; current ones ({ source }) hold an ES module.
      const legacy = typeof content === 'string';
      const source = legacy ? content : isObject(content) ? content.source : undefined;
      if (typeof source !== 'string') return report('content must be the function source, or an object with a string source', at);
      try {
        acorn.parse(source, { ecmaVersion: 'latest', sourceType: legacy ? 'script' : 'module', allowAwaitOutsideFunction: true });
      } catch (error) {
        report(`function source has a syntax error: ${(error as Error).message}`, at);
      }
      return;
    }
    case 'decisionNode': {
      const key = isObject(content) ? content.key : undefined;
      if (typeof key !== 'string' || key.trim() === '') report('content.key must name the sub-decision to call', at);
      return;
    }
    default:
      return;
  }
}

function checkHitPolicy(content: Record<string, unknown>, at: Locator, report: Report): void {
  const policy = content.hitPolicy;
  if (policy !== undefined && policy !== 'first' && policy !== 'collect') {
    report(`hitPolicy must be 'first' or 'collect' (got ${JSON.stringify(policy)})`, at);
  }
}

interface Column {
  id: string;
  name: string;
  field: string | undefined;
}

function columns(raw: unknown, kind: 'input' | 'output', at: Locator, report: Report): Column[] | undefined {
  if (!Array.isArray(raw)) {
    report(`content.${kind}s must be an array`, at);
    return undefined;
  }
  const result: Column[] = [];
  raw.forEach((c: unknown, i) => {
    if (!isObject(c) || typeof c.id !== 'string') return report(`${kind} column ${i + 1} must have a string 'id'`, at);
    const name = typeof c.name === 'string' && c.name !== '' ? c.name : typeof c.field === 'string' ? c.field : c.id;
    const field = typeof c.field === 'string' && c.field.trim() !== '' ? c.field : undefined;
    if (kind === 'output' && field === undefined) report(`output column ${i + 1} ('${name}') has no field to write to`, { ...at, column: name, columnId: c.id });
    result.push({ id: c.id, name, field });
  });
  return result;
}

function checkDecisionTable(content: unknown, at: Locator, report: Report, compiler: ExpressionCompiler): void {
  if (!isObject(content)) return report('content must be an object with inputs, outputs and rules', at);
  checkHitPolicy(content, at, report);
  const inputs = columns(content.inputs, 'input', at, report);
  const outputs = columns(content.outputs, 'output', at, report);
  if (!Array.isArray(content.rules)) return report('content.rules must be an array', at);
  if (!inputs || !outputs) return;
  content.rules.forEach((rule: unknown, i) => {
    const ruleAt = { ...at, rule: i + 1, ruleId: isObject(rule) && typeof rule._id === 'string' ? rule._id : undefined };
    if (!isObject(rule)) return report('rule must be an object', ruleAt);
    for (const [column, kind] of [...inputs.map((c) => [c, 'input'] as const), ...outputs.map((c) => [c, 'output'] as const)]) {
      const cell = rule[column.id];
      if (cell === undefined || cell === null) continue;
      const cellAt = { ...ruleAt, column: column.name, columnId: column.id };
      if (typeof cell !== 'string') {
        report(`cell must be a string (got ${JSON.stringify(cell)})`, cellAt);
        continue;
      }
      if (cell.trim() === '') continue; // empty input cell matches anything; empty output cell is null
      // The engine parses every input cell as a unary test (against the column's field, or null when
      // the column has none) and output cells as full expressions.
      const onError = (error: string) => report(`cell ${JSON.stringify(cell)} does not compile: ${error}`, { ...cellAt, expression: cell });
      if (kind === 'input') compiler.unary(cell, onError);
      else compiler.standard(cell, onError);
    }
  });
}

/**
 * Compiles expressions with the engine itself (see JdmChecker). Expressions are bounded first (length,
 * bracket nesting), each distinct expression is compiled once, and problems are reported in
 * document order once everything has been compiled.
 */
class ExpressionCompiler {
  readonly #unique = new Map<string, { item: ExpressionCheck; result?: CheckResult }>();
  readonly #pending: { id: string; onError: (error: string) => void }[] = [];

  constructor(private readonly checker: JdmChecker) {}

  standard(expression: string, onError: (error: string) => void): void {
    this.#queue({ kind: 'standard', expression }, onError);
  }

  unary(expression: string, onError: (error: string) => void): void {
    this.#queue({ kind: 'unary', expression }, onError);
  }

  async flush(): Promise<void> {
    const toCheck = [...this.#unique.values()].filter((u) => u.result === undefined);
    if (toCheck.length > 0) {
      const results = await this.checker.check(toCheck.map((u) => u.item));
      toCheck.forEach((u, i) => (u.result = results[i]));
    }
    for (const { id, onError } of this.#pending) {
      const result = this.#unique.get(id)?.result;
      if (result && !result.ok) onError(result.error);
    }
    this.#pending.length = 0;
  }

  #queue(item: ExpressionCheck, onError: (error: string) => void): void {
    const id = `${item.kind[0]}:${item.expression}`;
    if (!this.#unique.has(id)) {
      const bound = boundProblem(item.expression);
      this.#unique.set(id, bound === undefined ? { item } : { item, result: { ok: false, error: bound } });
    }
    this.#pending.push({ id, onError });
  }
}

/** Limits checked before the engine sees an expression: its parser recurses per bracket. */
function boundProblem(expression: string): string | undefined {
  if (expression.length > MAX_EXPRESSION_LENGTH) return `it is ${expression.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are accepted`;
  const nesting = expressionNesting(expression);
  if (nesting > MAX_EXPRESSION_NESTING) return `brackets nest ${nesting} deep; at most ${MAX_EXPRESSION_NESTING} levels are accepted`;
  return undefined;
}
