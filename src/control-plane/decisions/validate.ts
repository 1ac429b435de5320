import { AppError } from '../../errors.js';
import { describeJsonProblem, jsonProblem } from '../../lib/json-limits.js';
import { ExpressionCompiler, type JdmChecker } from './expressions.js';
import { isNodeType, withoutTests, type JdmDocument, type JdmNode } from '../../lib/jdm.js';
import { testCaseProblems } from '../decision-tests/cases.js';
import { describe, locate, type JdmProblem, type Locator, type Report } from './jdm-problems.js';
import { checkNodeContent } from './node-content.js';

// The checks are split by what they look at: expressions.ts (compiling through the engine),
// node-content.ts (what each node type holds), jdm-problems.ts (how a problem is located and
// worded). This module checks the graph's shape and is what callers import.
export { describe, type JdmChecker, type JdmProblem };

export interface JdmLimits {
  /** Deepest nesting of the document's JSON (VERDICT_MAX_JSON_DEPTH). */
  readonly maxJsonDepth: number;
}

export const DEFAULT_JDM_LIMITS: JdmLimits = Object.freeze({ maxJsonDepth: 64 });

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
  // The test cases stored with the graph are checked on their own, so a problem names the case;
  // their depth limit counts from the top of the document, like the graph's.
  for (const { message, ...at } of testCaseProblems(doc, limits.maxJsonDepth)) report(message, at);
  // Before anything else looks inside: the engine crashes on very deep values.
  const shape = jsonProblem(withoutTests(doc), { maxDepth: limits.maxJsonDepth });
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
    checkNodeContent(node, node.type, at, report, compiler);
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
    const refusal = await checker.loadable(withoutTests(doc)); // as nodes load it: without its test cases
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

