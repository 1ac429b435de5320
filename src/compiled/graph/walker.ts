import { EngineError } from '../errors.js';
import { type GraphShape, type LiveState, LiveStates } from './live-state.js';
import { type Value, type VMap, copyMap, copyWithoutNulls, depthClone, mergeClone, mergeInPlace, mergeIntoOwned } from '../values.js';

/**
 * zen-engine's graph walk (decision_graph/walker.rs and graph.rs), ported step by step because
 * its order shows in results: which nodes `$nodes` holds, which branch an output node ends, how
 * leaf outputs merge, and how a switch prunes edges (recursively, and then restarts the walk).
 * Neighbour order is petgraph's: a node's edges most recently added first.
 */

export type RuntimeNode =
  | { readonly kind: 'input' | 'output'; readonly name: string }
  | { readonly kind: 'switch'; readonly name: string; readonly select: (input: Value) => string[] }
  | {
      readonly kind: 'work';
      readonly name: string;
      readonly run: (input: Value, owned: boolean) => Value;
      /** Whether the output's top level is made by the run (with an owned input, or always). */
      readonly output: 'fresh' | 'fresh-if-owned' | 'shared';
    };

export interface RuntimeGraph extends GraphShape {
  readonly nodes: readonly RuntimeNode[];
  readonly names: readonly string[];
  /** The live edges and nodes after each combination of switch decisions met so far. */
  readonly states: LiveStates;
  readonly inputIndex: number;
  /**
   * Whether anything in this graph (or a sub-decision it calls) reads `$nodes`. When nothing
   * does, node inputs go without it: what `$nodes` adds is removed again before any result.
   */
  readonly needsNodes: boolean;
}

export function runtimeGraph(
  nodes: readonly RuntimeNode[],
  edges: RuntimeGraph['edges'],
  inputIndex: number,
  needsNodes: boolean,
): RuntimeGraph {
  const outEdges: number[][] = nodes.map(() => []);
  const inEdges: number[][] = nodes.map(() => []);
  edges.forEach((e, i) => {
    outEdges[e.source]!.unshift(i);
    inEdges[e.target]!.unshift(i);
  });
  const shape: GraphShape = { edges, outEdges, inEdges, outDegree: outEdges.map((list) => list.length), inDegree: inEdges.map((list) => list.length) };
  return { ...shape, nodes, names: nodes.map((n) => n.name), states: new LiveStates(shape), inputIndex, needsNodes };
}

/**
 * What a node reads: its predecessors' outputs merged, with `$nodes` when it is an object; then
 * the same without `$nodes`; then whether the first is a top level made here that nothing else
 * holds (a pass-through node may merge its output into it instead of into a copy).
 */
function incomingData(g: RuntimeGraph, live: LiveState, data: (Value | undefined)[], fresh: number[], node: number, order: number[]): [Value, Value, boolean] {
  if (!g.needsNodes && live.inCount[node] === 1) {
    // A lone predecessor's fresh object that nothing else will read (no other successor, no
    // `$nodes`, not a leaf) is handed over instead of copied: the same merge, without the nulls.
    let source = -1;
    for (const e of g.inEdges[node]!) {
      if (live.edgeAlive[e] === 1) {
        source = g.edges[e]!.source;
        break;
      }
    }
    const d = data[source];
    if (d instanceof Map && fresh[source] === 1 && live.outCount[source] === 1) {
      fresh[source] = 0;
      d.forEach((v, key) => {
        if (v === null) d.delete(key);
      });
      return [d, d, true];
    }
  }
  let value: Value = new Map();
  // While `value` is the map made here, merges go into it rather than into a copy of it.
  let owned = true;
  for (const e of g.inEdges[node]!) {
    if (live.edgeAlive[e] === 0) continue;
    const d = data[g.edges[e]!.source];
    if (d === undefined) continue;
    if (owned && d instanceof Map) {
      // Into the empty map made here, a merge is a copy without the nulls.
      if ((value as VMap).size === 0) value = copyWithoutNulls(d);
      else mergeIntoOwned(value as VMap, d);
    }
    else {
      const next = mergeClone(value, d);
      if (next !== value) owned = false;
      value = next;
    }
  }
  if (value instanceof Map) {
    // A fresh object either way; without readers of `$nodes` it need not be copied again.
    if (!g.needsNodes) return [value, value, owned];
    const withNodes = copyMap(value);
    const all: VMap = new Map();
    for (const n of order) all.set(g.names[n]!, data[n]!);
    withNodes.set('$nodes', all);
    return [withNodes, value, true];
  }
  return [depthClone(value, 1), value, true];
}

/** DecisionGraph::evaluate for one graph (sub-decisions' depth is bounded at compile time). */
export function walk(g: RuntimeGraph, context: Value): Value {
  let live = g.states.initial;
  const { edges } = g;
  const data = new Array<Value | undefined>(g.nodes.length);
  // Insertion order of node data, which `$nodes` lists (the engine's map order does not matter
  // to the object, only which nodes are in it; duplicate names are refused at compile time).
  const dataOrder: number[] = [];
  const visited = new Array<number>(g.nodes.length).fill(0);
  // 1 where a node's data is an object its run made and nobody else holds yet.
  const fresh = new Array<number>(g.nodes.length).fill(0);
  let toVisit: number[] = [g.inputIndex];
  const visitedSwitches = new Array<number>(g.nodes.length).fill(0);
  let iterations = 0;

  const next = (): number | undefined => {
    if (iterations >= 1000) return undefined;
    for (;;) {
      const n = toVisit.pop();
      if (n === undefined) return undefined;
      if (visited[n] === 1) continue;
      // Unvisited predecessors go back on the stack above the node, in edge order.
      let waiting = false;
      for (const e of g.inEdges[n]!) {
        if (live.edgeAlive[e] === 0 || visited[edges[e]!.source] === 1) continue;
        if (!waiting) toVisit.push(n);
        waiting = true;
        toVisit.push(edges[e]!.source);
      }
      if (waiting) continue;
      visited[n] = 1;
      if (live.nodeAlive[n] === 0) return undefined;
      const node = g.nodes[n]!;
      if (node.kind === 'switch' && visitedSwitches[n] === 0) {
        const [input] = incomingData(g, live, data, fresh, n, dataOrder);
        const after = g.states.afterSwitch(live, n, node.select(input));
        visitedSwitches[n] = 1;
        if (after !== live) {
          live = after;
          visited.fill(0);
          toVisit = live.nodeAlive[g.inputIndex] === 1 ? [g.inputIndex] : [];
          iterations++;
          continue;
        }
      }
      for (const e of g.outEdges[n]!) if (live.edgeAlive[e] === 1) toVisit.push(edges[e]!.target);
      return n;
    }
  };

  for (let n = next(); n !== undefined; n = next()) {
    if (data[n] !== undefined) continue;
    const node = g.nodes[n]!;
    let output: Value;
    switch (node.kind) {
      case 'input':
        output = context;
        break;
      case 'output':
        output = incomingData(g, live, data, fresh, n, dataOrder)[0];
        break;
      case 'switch': {
        const [, plain, owned] = incomingData(g, live, data, fresh, n, dataOrder);
        output = plain;
        fresh[n] = owned ? 1 : 0;
        break;
      }
      case 'work': {
        const [input, , owned] = incomingData(g, live, data, fresh, n, dataOrder);
        output = node.run(input, owned);
        fresh[n] = node.output === 'fresh' || (node.output === 'fresh-if-owned' && owned) ? 1 : 0;
        break;
      }
    }
    data[n] = output;
    dataOrder.push(n);
    if (node.kind === 'output') break;
  }

  let result: Value = new Map();
  for (let n = 0; n < g.nodes.length; n++) {
    if (live.nodeAlive[n] === 0 || visited[n] === 0 || live.outCount[n]! > 0) continue;
    const d = data[n];
    if (d === undefined) continue;
    // The first object merged into the empty result is copied without its nulls, as merge would.
    result = result instanceof Map && result.size === 0 && d instanceof Map ? copyWithoutNulls(d) : mergeInPlace(result, d);
  }
  // At depth 0 the engine's VariableCleaner removes `$nodes` from the result; toJson does it.
  return result;
}

export { EngineError };
