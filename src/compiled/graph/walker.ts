import { EngineError } from '../errors.js';
import { type Value, type VMap, depthClone, mergeClone, mergeInPlace, mergeIntoOwned } from '../values.js';

/**
 * zen-engine's graph walk (decision_graph/walker.rs and graph.rs), ported step by step because
 * its order shows in results: which nodes `$nodes` holds, which branch an output node ends, how
 * leaf outputs merge, and how a switch prunes edges (recursively, and then restarts the walk).
 * Neighbour order is petgraph's: a node's edges most recently added first.
 */

export type RuntimeNode =
  | { readonly kind: 'input' | 'output'; readonly name: string }
  | { readonly kind: 'switch'; readonly name: string; readonly select: (input: Value) => string[] }
  | { readonly kind: 'work'; readonly name: string; readonly run: (input: Value, depth: number) => Value };

export interface RuntimeGraph {
  readonly nodes: readonly RuntimeNode[];
  readonly names: readonly string[];
  readonly edges: readonly { readonly source: number; readonly target: number; readonly handle: string | undefined }[];
  /** Per node, its outgoing and incoming edge indices in petgraph order (newest first). */
  readonly outEdges: readonly (readonly number[])[];
  readonly inEdges: readonly (readonly number[])[];
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
  return { nodes, names: nodes.map((n) => n.name), edges, outEdges, inEdges, inputIndex, needsNodes };
}

/**
 * Per-evaluation view of the adjacency, since switches remove edges and nodes. The lists are
 * the compiled graph's until a removal replaces them (never modified in place).
 */
class LiveGraph {
  readonly out: (readonly number[])[];
  readonly in: (readonly number[])[];
  readonly nodeAlive: boolean[];
  readonly edgeAlive: boolean[];

  constructor(readonly g: RuntimeGraph) {
    this.out = g.outEdges.slice();
    this.in = g.inEdges.slice();
    this.nodeAlive = new Array<boolean>(g.nodes.length).fill(true);
    this.edgeAlive = new Array<boolean>(g.edges.length).fill(true);
  }

  outgoing(n: number): readonly number[] {
    return this.out[n]!;
  }

  incoming(n: number): readonly number[] {
    return this.in[n]!;
  }

  removeEdge(e: number): void {
    if (!this.edgeAlive[e]) return;
    this.edgeAlive[e] = false;
    const { source, target } = this.g.edges[e]!;
    this.out[source] = this.out[source]!.filter((x) => x !== e);
    this.in[target] = this.in[target]!.filter((x) => x !== e);
  }

  removeNode(n: number): void {
    for (const e of [...this.out[n]!, ...this.in[n]!]) this.removeEdge(e);
    this.nodeAlive[n] = false;
  }

  /** remove_edge_recursive */
  removeEdgeRecursive(e: number): void {
    if (!this.edgeAlive[e]) return;
    const { source, target } = this.g.edges[e]!;
    this.removeEdge(e);
    for (const [n, incomingSide] of [
      [target, true],
      [source, false],
    ] as const) {
      const remaining = incomingSide ? this.incoming(n) : this.outgoing(n);
      if (remaining.length === 0) {
        const opposite = incomingSide ? [...this.outgoing(n)] : [...this.incoming(n)];
        for (const id of opposite) this.removeEdgeRecursive(id);
        if (this.nodeAlive[n] && this.outgoing(n).length === 0 && this.incoming(n).length === 0) this.removeNode(n);
      }
    }
  }
}

/** What a node reads: its predecessors' outputs merged, with `$nodes` when it is an object. */
function incomingData(live: LiveGraph, data: Map<number, Value>, names: readonly string[], node: number, order: number[]): [Value, Value] {
  let value: Value = new Map();
  // While `value` is the map made here, merges go into it rather than into a copy of it.
  let owned = true;
  for (const e of live.incoming(node)) {
    const source = live.g.edges[e]!.source;
    const d = data.get(source);
    if (d === undefined) continue;
    if (owned && d instanceof Map) mergeIntoOwned(value as VMap, d);
    else {
      const next = mergeClone(value, d);
      if (next !== value) owned = false;
      value = next;
    }
  }
  if (value instanceof Map) {
    // A fresh object either way; without readers of `$nodes` it need not be copied again.
    if (!live.g.needsNodes) return [value, value];
    const withNodes: VMap = new Map(value);
    const all: VMap = new Map();
    for (const n of order) if (data.has(n)) all.set(names[n]!, data.get(n)!);
    withNodes.set('$nodes', all);
    return [withNodes, value];
  }
  return [depthClone(value, 1), value];
}

/** DecisionGraph::evaluate for one graph; `depth` is the engine's iteration (0 at the root). */
export function walk(g: RuntimeGraph, context: Value, depth: number): Value {
  const live = new LiveGraph(g);
  const names = g.names;
  const data = new Map<number, Value>();
  // Insertion order of node data, which `$nodes` lists (the engine's map order does not matter
  // to the object, only which nodes are in it; duplicate names are refused at compile time).
  const dataOrder: number[] = [];
  let visited = new Set<number>();
  let toVisit: number[] = [g.inputIndex];
  const visitedSwitches = new Set<number>();
  let iterations = 0;

  const next = (): number | undefined => {
    if (iterations >= 1000) return undefined;
    for (;;) {
      const n = toVisit.pop();
      if (n === undefined) return undefined;
      if (visited.has(n)) continue;
      const unresolved = live
        .incoming(n)
        .map((e) => g.edges[e]!.source)
        .filter((s) => !visited.has(s));
      if (unresolved.length > 0) {
        toVisit.push(n, ...unresolved);
        continue;
      }
      visited.add(n);
      if (!live.nodeAlive[n]) return undefined;
      const node = g.nodes[n]!;
      if (node.kind === 'switch' && !visitedSwitches.has(n)) {
        const [input] = incomingData(live, data, names, n, dataOrder);
        const valid = node.select(input);
        const remove = live.outgoing(n).filter((e) => {
          const handle = g.edges[e]!.handle;
          return handle === undefined || !valid.includes(handle);
        });
        for (const e of remove) live.removeEdgeRecursive(e);
        visitedSwitches.add(n);
        if (remove.length > 0) {
          visited = new Set();
          toVisit = live.nodeAlive[g.inputIndex] ? [g.inputIndex] : [];
          iterations++;
          continue;
        }
      }
      for (const e of live.outgoing(n)) toVisit.push(g.edges[e]!.target);
      return n;
    }
  };

  for (let n = next(); n !== undefined; n = next()) {
    if (data.has(n)) continue;
    const node = g.nodes[n]!;
    let output: Value;
    switch (node.kind) {
      case 'input':
        output = context;
        break;
      case 'output':
        output = incomingData(live, data, names, n, dataOrder)[0];
        break;
      case 'switch':
        output = incomingData(live, data, names, n, dataOrder)[1];
        break;
      case 'work':
        output = node.run(incomingData(live, data, names, n, dataOrder)[0], depth);
        break;
    }
    data.set(n, output);
    dataOrder.push(n);
    if (node.kind === 'output') break;
  }

  let result: Value = new Map();
  for (let n = 0; n < g.nodes.length; n++) {
    if (!live.nodeAlive[n] || !visited.has(n) || live.outgoing(n).length > 0) continue;
    if (data.has(n)) result = mergeInPlace(result, data.get(n)!);
  }
  // At depth 0 the engine's VariableCleaner removes `$nodes` from the result; toJson does it.
  return result;
}

export { EngineError };
