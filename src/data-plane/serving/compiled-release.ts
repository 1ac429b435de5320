import { randomUUID } from 'node:crypto';
import type { ServedDecision } from '../sync/serving-source.js';
import type { NodeInfo } from '../engine/engine-errors.js';
import type { EnginePool } from '../engine/engine-pool.js';
import { CHECK_LABEL_PREFIX } from '../engine/isolation.js';
import { subDecisionReferences, withoutTests } from '../../lib/jdm.js';
import { normalizeDecisionKey } from '../../lib/decision-keys.js';
import { ReleaseEvaluators, type EvaluatorMode } from './evaluators.js';

/**
 * A release loaded for evaluation: its decisions parsed once into every engine host (under a
 * namespace of its own, so sub-decisions resolve within the release), plus an index of node ids so
 * engine errors can name the node.
 */
export class CompiledRelease {
  readonly namespace: string;
  readonly decisions = new Set<string>();
  /** Decisions that run a function node, themselves or through a sub-decision. */
  readonly runsFunctions = new Set<string>();
  /** decision key -> node id -> node (ids are only unique within one graph) */
  readonly #nodes = new Map<string, Map<string, NodeInfo>>();
  /** Which decisions run compiled (and why the others run on zen-engine). */
  evaluators: ReleaseEvaluators | undefined;
  /** Requests evaluating this release right now; a retired release is dropped when this reaches 0. */
  #inflight = 0;
  #retired = false;
  #onDrained: (() => void) | undefined;

  private constructor(
    readonly id: string,
    readonly label: string,
    readonly contentHash: string,
  ) {
    this.namespace = `rel:${id}#${randomUUID()}`;
  }

  /**
   * Loads every decision of a release into the engine hosts; parsing happens there, off the node's
   * event loop. Fails when the engine refuses a graph.
   */
  static async compile(
    engine: EnginePool,
    release: { id: string; label: string; contentHash: string },
    contents: readonly ServedDecision[],
    mode: EvaluatorMode = 'auto',
  ): Promise<CompiledRelease> {
    const compiled = new CompiledRelease(release.id, release.label, release.contentHash);
    for (const key of decisionsRunningFunctions(contents)) compiled.runsFunctions.add(key);
    for (const d of contents) {
      compiled.decisions.add(d.key);
      compiled.#nodes.set(d.key, new Map(d.content.nodes.map((n) => [n.id, { decision: d.key, name: n.name ?? n.id, type: n.type }])));
    }
    // Test cases stored with a graph (`tests`) are for test runs; engine hosts need only the graph.
    await engine.register(
      compiled.namespace,
      contents.map((d) => ({ key: d.key, content: withoutTests(d.content) })),
    );
    const evaluators = new ReleaseEvaluators(contents, mode, compiled.runsFunctions);
    compiled.evaluators = evaluators;
    // In the background: the release serves from zen-engine at once, and each decision moves to its
    // compiled form when it agreed with zen-engine on its check contexts.
    const zen = (key: string, context: unknown) =>
      compiled.use(async () => (await engine.evaluate({ ns: compiled.namespace, key, label: `${CHECK_LABEL_PREFIX}${key}@${release.label}`, runsFunctions: false }, context, false)).result);
    void evaluators.check(zen, () => !compiled.retired).catch(() => undefined);
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

  /** Runs `work` while keeping this release loaded in the engine hosts. */
  use<T>(work: () => Promise<T>): Promise<T> {
    this.#inflight++;
    const done = () => {
      this.#inflight--;
      if (this.#retired && this.#inflight === 0) this.#drained();
    };
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (error) {
      done();
      throw error;
    }
    return promise.finally(done);
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

/** Keys of decisions whose evaluation can reach a function node, following sub-decision calls. */
export function decisionsRunningFunctions(contents: readonly ServedDecision[]): Set<string> {
  const calls = new Map(contents.map((d) => [d.key, subDecisionReferences(d.content).map((r) => normalizeDecisionKey(r.reference))]));
  const direct = new Set(contents.filter((d) => d.content.nodes.some((n) => n.type === 'functionNode')).map((d) => d.key));
  const result = new Set<string>();
  for (const d of contents) {
    const seen = new Set<string>();
    const stack = [d.key];
    while (stack.length > 0) {
      const key = stack.pop()!;
      if (seen.has(key)) continue;
      seen.add(key);
      if (direct.has(key)) {
        result.add(d.key);
        break;
      }
      stack.push(...(calls.get(key) ?? []));
    }
  }
  return result;
}
