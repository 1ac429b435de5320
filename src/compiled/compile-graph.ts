import { EngineError, EnginePanic, FAILURE, lastFailureReason } from './errors.js';
import { resetBudget } from './budget.js';
import { Unsupported } from './expression/compile.js';
import { type NodeModel, readGraph } from './graph/model.js';
import { compileExpressionNode, compileSwitch, compileTable, withTransform } from './graph/node-handlers.js';
import { type RuntimeGraph, type RuntimeNode, runtimeGraph, walk } from './graph/walker.js';
import { type Value, fromJson, toJson } from './values.js';

/**
 * Compiles a JDM decision graph to JavaScript closures that answer what zen-engine 0.54's
 * `evaluate(key, context)` answers as `result`, or says why it will not. It refuses whatever it
 * is not sure of: function and custom nodes, schemas, builtins it does not implement, syntax it
 * cannot parse the engine's way, sub-decisions it cannot resolve or that recurse.
 *
 * `evaluate` throws EngineError where zen-engine fails, NotSure where it cannot tell (the
 * caller then asks zen-engine) and EngineWouldCrash where zen-engine would abort its process.
 */
export type CompiledDecision = { readonly kind: 'compiled'; evaluate(context: unknown): unknown };
export type CompileResult = CompiledDecision | { readonly kind: 'unsupported'; readonly reasons: readonly string[] };

/** Finds another decision of the same release by key (the engine's loader), or undefined. */
export type DecisionResolver = (key: string) => unknown;

/** The engine stops sub-decisions at depth 5 ("Depth limit exceeded"). */
const MAX_DEPTH = 5;

interface Compilation {
  readonly resolver: DecisionResolver;
  /** Keys being compiled, to refuse recursion (the engine errors at depth 5 instead). */
  readonly stack: string[];
  readonly cache: Map<string, RuntimeGraph>;
}

export function compileGraph(graph: unknown, resolver: DecisionResolver): CompileResult {
  const compilation: Compilation = { resolver, stack: [], cache: new Map() };
  let runtime: RuntimeGraph;
  try {
    runtime = compileOne(graph, compilation, 0);
  } catch (error) {
    if (error instanceof Refused) return { kind: 'unsupported', reasons: error.reasons };
    throw error;
  }
  return {
    kind: 'compiled',
    evaluate(context: unknown): unknown {
      let result: Value;
      resetBudget();
      try {
        result = walk(runtime, fromJson(context ?? null));
      } catch (error) {
        if (error instanceof EnginePanic) throw new EngineError(`the engine panics: ${error.message}`);
        if (error === FAILURE) throw new EngineError(lastFailureReason());
        throw error;
      }
      return toJson(result);
    },
  };
}

class Refused extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
  }
}

function compileOne(raw: unknown, compilation: Compilation, depth: number): RuntimeGraph {
  const model = readGraph(raw);
  if (!model.ok) throw new Refused(model.reasons);
  const { nodes, edges } = model.graph;
  const reasons: string[] = [];
  const names = nodes.map((n) => n.name);
  const text = JSON.stringify(raw);
  if (new Set(names).size !== names.length && (text.includes('$nodes') || text.includes('$root') || nodes.some((n) => n.kind === 'decision'))) {
    // `$nodes` is a map by node name: with two nodes of one name the engine keeps either.
    reasons.push('two nodes share a name and `$nodes` is used');
  }
  if (depth > 0) {
    const leak = leafSharingItsInput(nodes, edges);
    if (leak) reasons.push(leak);
  }
  if (text.includes('$root')) reasons.push('`$root` (the whole environment, `$nodes` included) is not compiled');
  const runtimeNodes: RuntimeNode[] = [];
  const children: RuntimeGraph[] = [];
  for (const node of nodes) {
    try {
      runtimeNodes.push(compileNode(node, compilation, depth, children));
    } catch (error) {
      if (error instanceof Unsupported) reasons.push(`node "${node.name}": ${error.message}`);
      else if (error instanceof Refused) reasons.push(...error.reasons.map((r) => `node "${node.name}": ${r}`));
      else throw error;
    }
  }
  if (reasons.length > 0) throw new Refused(reasons);
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  return runtimeGraph(
    runtimeNodes,
    edges.map((e) => ({ source: index.get(e.sourceId)!, target: index.get(e.targetId)!, handle: e.sourceHandle })),
    nodes.findIndex((n) => n.kind === 'input'),
    // A sub-decision's input nodes carry the caller's `$nodes` (`$nodes.request.$nodes`).
    text.includes('$nodes') || children.some((c) => c.needsNodes),
  );
}

/**
 * A sub-decision answers the merge of its leaves (nodes with no outgoing edge), merged in place
 * into the first one's data. A leaf that hands on its input (the input node, a switch, a
 * pass-through or sub-decision node, with nothing after it) makes that data the caller's own
 * objects, `$nodes` included: the engine then writes the sub-decision's `$nodes` into the caller's,
 * overwriting the caller's nodes' data of the same names. Not modelled: such graphs run on zen.
 */
function leafSharingItsInput(nodes: readonly NodeModel[], edges: readonly { sourceId: string }[]): string | undefined {
  const sources = new Set(edges.map((e) => e.sourceId));
  const leaves = nodes.filter((n) => !sources.has(n.id));
  if (leaves.length < 2) return undefined;
  const sharing = leaves.find((n) => n.kind !== 'output' && !((n.kind === 'table' || n.kind === 'expression') && !n.transform.passThrough));
  return sharing && `as a sub-decision, node "${sharing.name}" ends a path and hands on its input: the engine merges the caller's data into the answer there (not compiled)`;
}

function compileNode(node: NodeModel, compilation: Compilation, depth: number, children: RuntimeGraph[]): RuntimeNode {
  switch (node.kind) {
    case 'input':
    case 'output':
      return { kind: node.kind, name: node.name };
    case 'switch':
      return { kind: 'switch', name: node.name, select: compileSwitch(node) };
    case 'table': {
      const run = compileTable(node);
      return { kind: 'work', name: node.name, run: (input, owned) => run(input, owned), output: node.transform.passThrough ? 'fresh-if-owned' : 'fresh' };
    }
    case 'expression': {
      const run = compileExpressionNode(node);
      return { kind: 'work', name: node.name, run: (input, owned) => run(input, owned), output: node.transform.passThrough ? 'fresh-if-owned' : 'fresh' };
    }
    case 'decision': {
      if (depth + 1 >= MAX_DEPTH) throw new Unsupported('sub-decisions nested deeper than the engine allows');
      if (compilation.stack.includes(node.key)) throw new Unsupported(`sub-decision "${node.key}" calls itself (the engine stops at depth ${MAX_DEPTH})`);
      let child = compilation.cache.get(`${depth + 1}:${node.key}`);
      if (!child) {
        const content = compilation.resolver(node.key);
        if (content === undefined) throw new Unsupported(`sub-decision "${node.key}" is not in the release`);
        compilation.stack.push(node.key);
        try {
          child = compileOne(content, compilation, depth + 1);
        } finally {
          compilation.stack.pop();
        }
        compilation.cache.set(`${depth + 1}:${node.key}`, child);
      }
      const graph = child;
      children.push(graph);
      // A sub-decision's walk keeps its input as its input node's data: no merge in place.
      const run = withTransform(node.transform, (input) => walk(graph, input), false);
      return { kind: 'work', name: node.name, run: (input, owned) => run(input, owned), output: 'shared' };
    }
  }
}
