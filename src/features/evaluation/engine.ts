import { ZenDecisionContent, ZenEngine, type ZenDecision } from '@gorules/zen-engine';
import type { JdmDocument } from '../decisions/jdm.js';
import { normalizeDecisionKey } from '../decisions/keys.js';
import { createHttpHandler } from './outbound-http.js';

/** Resolves a sub-decision on demand (the simulator reads drafts and versions from the database). */
export type SubDecisionResolver = (key: string) => Promise<JdmDocument | undefined>;

// ':' cannot appear in a decision key, so `namespace::key` is unambiguous.
const SEPARATOR = '::';

/**
 * One zen engine per node. Its loader cannot know which release asked for a sub-decision, so every
 * compiled graph has its decisionNode keys rewritten to `<namespace>::<key>`, with a namespace per
 * compiled release (`rel:<id>#<random>`) or simulation. Sub-decisions thus always resolve from the
 * same compiled release, from memory. The random part keeps a release compiled again (redeployed
 * while its previous copy drains) apart from that copy, and keeps a function node's
 * `zen.evaluate(key)` from reaching other releases: the engine passes such keys to the loader
 * unchanged, so they are simply not found. A single long-lived engine also avoids the memory growth seen when engines are created
 * and disposed per request (gorules/zen#375).
 */
export class DecisionEngine {
  readonly #engine: ZenEngine;
  readonly #contents = new Map<string, ZenDecisionContent>();
  readonly #resolvers = new Map<string, SubDecisionResolver>();

  constructor(options: { allowHosts: readonly string[]; onHttpCall?: (outcome: 'allowed' | 'denied') => void }) {
    this.#engine = new ZenEngine({
      loader: (key) => this.#load(key),
      httpHandler: createHttpHandler(options.allowHosts, options.onHttpCall ?? (() => undefined)),
    });
  }

  /** Makes `doc` loadable as a sub-decision `key` within `namespace`; returns the engine's parsed form. */
  register(namespace: string, key: string, doc: JdmDocument): ZenDecisionContent {
    const content = new ZenDecisionContent(namespaced(namespace, doc) as object);
    this.#contents.set(`${namespace}${SEPARATOR}${key}`, content);
    return content;
  }

  registerResolver(namespace: string, resolver: SubDecisionResolver): void {
    this.#resolvers.set(namespace, resolver);
  }

  /** Forgets everything registered under a namespace. */
  unregister(namespace: string): void {
    const prefix = `${namespace}${SEPARATOR}`;
    for (const key of this.#contents.keys()) if (key.startsWith(prefix)) this.#contents.delete(key);
    this.#resolvers.delete(namespace);
  }

  createDecision(namespace: string, doc: JdmDocument | ZenDecisionContent): ZenDecision {
    return this.#engine.createDecision(doc instanceof ZenDecisionContent ? doc : (namespaced(namespace, doc) as object));
  }

  dispose(): void {
    this.#contents.clear();
    this.#resolvers.clear();
    this.#engine.dispose();
  }

  async #load(fullKey: string): Promise<ZenDecisionContent> {
    const at = fullKey.indexOf(SEPARATOR);
    const namespace = at < 0 ? '' : fullKey.slice(0, at);
    const key = normalizeDecisionKey(at < 0 ? fullKey : fullKey.slice(at + SEPARATOR.length));
    const cached = this.#contents.get(`${namespace}${SEPARATOR}${key}`);
    if (cached) return cached;
    const resolver = this.#resolvers.get(namespace);
    const doc = resolver ? await resolver(key) : undefined;
    if (!doc) throw new Error(`sub-decision '${key}' is not available`);
    const content = new ZenDecisionContent(namespaced(namespace, doc) as object);
    this.#contents.set(`${namespace}${SEPARATOR}${key}`, content);
    return content;
  }
}

/** A copy of `doc` whose decision nodes call sub-decisions inside `namespace`. */
function namespaced(namespace: string, doc: JdmDocument): JdmDocument {
  if (!doc.nodes.some((n) => n.type === 'decisionNode')) return doc;
  return {
    ...doc,
    nodes: doc.nodes.map((node) => {
      if (node.type !== 'decisionNode') return node;
      const content = (node.content ?? {}) as { key?: unknown };
      if (typeof content.key !== 'string') return node;
      return { ...node, content: { ...content, key: `${namespace}${SEPARATOR}${normalizeDecisionKey(content.key)}` } };
    }),
  };
}
