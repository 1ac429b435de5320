import type { ZenDecision } from '@gorules/zen-engine';
import type { ReleasedDecision } from '../releases/store.js';
import type { DecisionEngine } from './engine.js';

export interface NodeInfo {
  readonly decision: string;
  readonly name: string;
  readonly type: string;
}

/**
 * A release compiled for evaluation: one ZenDecision per decision key, created once and reused for
 * every request, plus an index of node ids so engine errors can name the node.
 */
export class CompiledRelease {
  readonly namespace: string;
  readonly decisions = new Map<string, ZenDecision>();
  /** decision key -> node id -> node (ids are only unique within one graph) */
  readonly #nodes = new Map<string, Map<string, NodeInfo>>();
  /** Requests evaluating this release right now; a retired release is dropped when this reaches 0. */
  #inflight = 0;
  #retired = false;
  #onDrained: (() => void) | undefined;

  private constructor(
    readonly id: string,
    readonly label: string,
    readonly contentHash: string,
  ) {
    this.namespace = `rel:${id}`;
  }

  static compile(engine: DecisionEngine, release: { id: string; label: string; contentHash: string }, contents: readonly ReleasedDecision[]): CompiledRelease {
    const compiled = new CompiledRelease(release.id, release.label, release.contentHash);
    for (const d of contents) engine.register(compiled.namespace, d.key, d.content);
    for (const d of contents) {
      compiled.decisions.set(d.key, engine.createDecision(compiled.namespace, d.content));
      compiled.#nodes.set(d.key, new Map(d.content.nodes.map((n) => [n.id, { decision: d.key, name: n.name ?? n.id, type: n.type }])));
    }
    return compiled;
  }

  /** The node an engine error names: in the evaluated decision first, else in a sub-decision. */
  node(decisionKey: string, nodeId: string): NodeInfo | undefined {
    const own = this.#nodes.get(decisionKey)?.get(nodeId);
    if (own) return own;
    for (const nodes of this.#nodes.values()) {
      const found = nodes.get(nodeId);
      if (found) return found;
    }
    return undefined;
  }

  get retired(): boolean {
    return this.#retired;
  }

  /** Runs `work` while keeping this release's sub-decisions loadable. */
  async use<T>(work: () => Promise<T>): Promise<T> {
    this.#inflight++;
    try {
      return await work();
    } finally {
      this.#inflight--;
      if (this.#retired && this.#inflight === 0) this.#drained();
    }
  }

  /** Marks the release as no longer served; `onDrained` runs once no request uses it any more. */
  retire(onDrained: () => void): void {
    this.#retired = true;
    this.#onDrained = onDrained;
    if (this.#inflight === 0) this.#drained();
  }

  #drained(): void {
    const done = this.#onDrained;
    this.#onDrained = undefined;
    done?.();
  }
}
