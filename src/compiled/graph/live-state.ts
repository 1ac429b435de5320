/**
 * Which edges and nodes of a graph are still live after the switches decided so far. The engine
 * prunes a copy of the graph on every evaluation; here each shape is computed once, kept
 * immutable and shared by every evaluation that decides alike, so a walk through a switch-heavy
 * graph follows cached transitions instead of removing dozens of edges each time.
 */

/** The adjacency a shape is computed over (the compiled graph's). */
export interface GraphShape {
  readonly edges: readonly { readonly source: number; readonly target: number; readonly handle: string | undefined }[];
  /** Per node, its outgoing and incoming edge indices in petgraph order (newest first). */
  readonly outEdges: readonly (readonly number[])[];
  readonly inEdges: readonly (readonly number[])[];
  readonly outDegree: readonly number[];
  readonly inDegree: readonly number[];
}

/** Never written after construction; 1/0 flags and live-edge counts, indexed by node or edge. */
export class LiveState {
  /** Per switch node, per decision key: the state that decision leads to. */
  readonly transitions = new Map<number, Map<string, LiveState>>();

  constructor(
    readonly nodeAlive: readonly number[],
    readonly edgeAlive: readonly number[],
    readonly outCount: readonly number[],
    readonly inCount: readonly number[],
  ) {}
}

/**
 * Bounds the cache by memory, not by count alone: a graph with many switches whose decisions
 * vary by context could otherwise keep a copy of its flags per combination. At most ~0.8 MB per
 * compiled graph, and ~32 MB across every graph of the process (each decision of each release
 * served compiles its own graphs, sub-decisions included); past a bound, transitions are computed
 * per evaluation as the engine does. Keys count too (a collect switch's is a list of ids).
 */
const CACHED_NUMBERS_PER_GRAPH = 100_000;
const MAX_STATES_PER_GRAPH = 512;
const CACHED_NUMBERS_PER_PROCESS = 4_000_000;

/** What a set of caches may hold together, given back as their graphs are collected. */
export class CacheBudget {
  used = 0;
  readonly #released = new FinalizationRegistry<{ used: number }>((held) => {
    this.used -= held.used;
  });

  constructor(readonly limit: number) {}

  /** An account for one owner: what it takes is given back once `owner` is garbage. */
  account(owner: object): { used: number } {
    const account = { used: 0 };
    this.#released.register(owner, account);
    return account;
  }
}

const PROCESS_BUDGET = new CacheBudget(CACHED_NUMBERS_PER_PROCESS);

export class LiveStates {
  readonly initial: LiveState;
  #cached = 0;
  readonly #limit: number;
  readonly #stateCost: number;
  readonly #account: { used: number };

  constructor(
    readonly shape: GraphShape,
    private readonly budget: CacheBudget = PROCESS_BUDGET,
  ) {
    const nodes = shape.outEdges.length;
    this.#stateCost = 3 * nodes + shape.edges.length + 1;
    this.#account = budget.account(this);
    this.initial = new LiveState(new Array<number>(nodes).fill(1), new Array<number>(shape.edges.length).fill(1), shape.outDegree.slice(), shape.inDegree.slice());
    this.#limit = Math.min(MAX_STATES_PER_GRAPH, Math.floor(CACHED_NUMBERS_PER_GRAPH / this.#stateCost));
  }

  /**
   * The state after switch `node` keeps the edges whose handles are in `valid` and removes the
   * others recursively; the same state when it removes nothing (the walk then does not restart).
   */
  afterSwitch(state: LiveState, node: number, valid: readonly string[]): LiveState {
    // Unambiguous keys: one id as it is, several as JSON (collect hit policy).
    const key = valid.length === 1 ? `s${valid[0]}` : `m${JSON.stringify(valid)}`;
    const bySwitch = state.transitions.get(node);
    const cached = bySwitch?.get(key);
    if (cached) return cached;
    const next = new Pruning(this.shape, state).switchKeeps(node, valid);
    const cost = this.#stateCost + Math.ceil(key.length / 8);
    if (this.#cached < this.#limit && this.budget.used + cost <= this.budget.limit) {
      if (bySwitch) bySwitch.set(key, next);
      else state.transitions.set(node, new Map([[key, next]]));
      this.#cached++;
      this.#account.used += cost;
      this.budget.used += cost;
    }
    return next;
  }
}

/** zen-engine's edge removal (graph.rs), on copies of a state's flags. */
class Pruning {
  readonly nodeAlive: number[];
  readonly edgeAlive: number[];
  readonly outCount: number[];
  readonly inCount: number[];

  constructor(
    readonly shape: GraphShape,
    readonly from: LiveState,
  ) {
    this.nodeAlive = from.nodeAlive.slice();
    this.edgeAlive = from.edgeAlive.slice();
    this.outCount = from.outCount.slice();
    this.inCount = from.inCount.slice();
  }

  switchKeeps(node: number, valid: readonly string[]): LiveState {
    let removed = false;
    for (const e of this.shape.outEdges[node]!) {
      if (this.edgeAlive[e] === 0) continue;
      const handle = this.shape.edges[e]!.handle;
      if (handle !== undefined && valid.includes(handle)) continue;
      this.#removeEdgeRecursive(e);
      removed = true;
    }
    return removed ? new LiveState(this.nodeAlive, this.edgeAlive, this.outCount, this.inCount) : this.from;
  }

  #removeEdge(e: number): void {
    if (this.edgeAlive[e] === 0) return;
    this.edgeAlive[e] = 0;
    const edge = this.shape.edges[e]!;
    this.outCount[edge.source]!--;
    this.inCount[edge.target]!--;
  }

  #removeNode(n: number): void {
    for (const e of this.shape.outEdges[n]!) this.#removeEdge(e);
    for (const e of this.shape.inEdges[n]!) this.#removeEdge(e);
    this.nodeAlive[n] = 0;
  }

  /** remove_edge_recursive: an edge, then whatever it leaves without inputs or outputs. */
  #removeEdgeRecursive(e: number): void {
    if (this.edgeAlive[e] === 0) return;
    const { source, target } = this.shape.edges[e]!;
    this.#removeEdge(e);
    // Removed edges stay removed, so walking the static list and skipping dead edges visits
    // what the engine's snapshot of the live list holds, in its order.
    if (this.inCount[target] === 0) {
      for (const id of this.shape.outEdges[target]!) this.#removeEdgeRecursive(id);
      this.#dropIfIsolated(target);
    }
    if (this.outCount[source] === 0) {
      for (const id of this.shape.inEdges[source]!) this.#removeEdgeRecursive(id);
      this.#dropIfIsolated(source);
    }
  }

  #dropIfIsolated(n: number): void {
    if (this.nodeAlive[n] === 1 && this.outCount[n] === 0 && this.inCount[n] === 0) this.#removeNode(n);
  }
}
