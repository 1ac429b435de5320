import { subDecisionReferences, withoutTests, type JdmDocument } from '../../lib/jdm.js';
import { normalizeDecisionKey } from '../../lib/decision-keys.js';
import { EngineFailure } from '../../data-plane/engine/host-errors.js';
import type { EngineResponse } from '../../data-plane/engine/protocol.js';
import { engineError, type NodeInfo } from '../../data-plane/engine/engine-errors.js';

/** The engine as editors' simulations and decision tests use it: a draft and its sub-decisions, evaluated in isolation. */
export interface DraftEngine {
  simulate(decisions: readonly { key: string; content: JdmDocument }[], key: string, context: unknown, trace: boolean): Promise<EngineResponse>;
}

/** Sub-decisions nest at most this deep in the engine; loading more would be wasted. */
const MAX_SUB_DECISION_DEPTH = 5;
const MAX_SUB_DECISIONS = 200;

/**
 * The graph and every sub-decision reachable from it (as deep as the engine follows them). A
 * missing sub-decision is left out: the engine reports it, naming the node that calls it.
 */
export async function withSubDecisions(
  name: string,
  doc: JdmDocument,
  load: (key: string) => Promise<JdmDocument | undefined>,
): Promise<{ key: string; content: JdmDocument }[]> {
  const found = new Map<string, JdmDocument>([[name, doc]]);
  let frontier = [doc];
  for (let depth = 0; depth < MAX_SUB_DECISION_DEPTH && frontier.length > 0; depth++) {
    const next: JdmDocument[] = [];
    for (const graph of frontier) {
      for (const ref of subDecisionReferences(graph)) {
        const key = normalizeDecisionKey(ref.reference);
        if (found.has(key) || found.size >= MAX_SUB_DECISIONS) continue;
        const sub = await load(key);
        if (!sub) continue;
        found.set(key, sub);
        next.push(sub);
      }
    }
    frontier = next;
  }
  return [...found].map(([key, content]) => ({ key, content }));
}

/**
 * A decision with its sub-decisions, ready to evaluate as a draft: in the engine's isolated lane,
 * where one that loops or crashes the engine cannot touch deployed decisions, with the engine's
 * errors turned into 422 problems naming the node (and the sub-decision it is in).
 */
export class DraftGraph {
  readonly #nodes: Map<string, NodeInfo>;
  readonly decisions: readonly { key: string; content: JdmDocument }[];

  constructor(
    decisions: readonly { key: string; content: JdmDocument }[],
    readonly key: string,
  ) {
    this.decisions = decisions.map((d) => ({ key: d.key, content: withoutTests(d.content) }));
    this.#nodes = new Map(decisions.flatMap((d) => d.content.nodes.map((n) => [n.id, { decision: d.key, name: n.name ?? n.id, type: n.type }] as const)));
  }

  async evaluate(engine: DraftEngine, context: unknown, trace: boolean): Promise<EngineResponse> {
    try {
      return await engine.simulate(this.decisions, this.key, context, trace);
    } catch (error) {
      if (error instanceof EngineFailure) throw engineError(error, (id) => this.#nodes.get(id), this.key);
      throw error;
    }
  }
}
