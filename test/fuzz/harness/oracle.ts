import { ZenEngine, type ZenDecision } from '@gorules/zen-engine';
import canonicalize from 'canonicalize';
import type { Sql } from '../../../src/db/connect.js';
import { normalizeDecisionKey } from '../../../src/lib/decision-keys.js';
import { createHttpHandler } from '../../../src/data-plane/engine/outbound-http.js';
import type { Api } from './seed.js';
import type { FuzzResponse } from './http.js';

/** JSON as it travels: -0 is 0, undefined members vanish, key order does not matter. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalize(JSON.parse(JSON.stringify(a ?? null))) === canonicalize(JSON.parse(JSON.stringify(b ?? null)));
}

export function excerpt(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text;
}

export function parseJsonBody(response: FuzzResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Why a 4xx answer is not an RFC 9457 problem document as Verdict promises one, or undefined. */
export function problemViolation(response: FuzzResponse): string | undefined {
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) return `a ${response.status} with content-type '${type}', not application/problem+json: ${excerpt(response.body.toString('utf8'), 200)}`;
  const problem = parseJsonBody(response) as Record<string, unknown> | undefined;
  if (!problem || typeof problem !== 'object') return `a ${response.status} whose body is not a JSON object: ${excerpt(response.body.toString('utf8'), 200)}`;
  for (const member of ['type', 'title', 'detail', 'code'] as const) {
    if (typeof problem[member] !== 'string') return `a ${response.status} problem without a string '${member}': ${excerpt(JSON.stringify(problem), 300)}`;
  }
  if (problem.status !== response.status) return `a ${response.status} problem whose status member is ${JSON.stringify(problem.status)}`;
  return undefined;
}

/**
 * Exact row counts of every table, in one statement (one snapshot): count(*) per table, not the
 * statistics views, which lag and estimate. The tables are small, so this costs about a millisecond.
 */
export class RowCounter {
  #query: string | undefined;

  constructor(private readonly sql: Sql) {}

  async counts(): Promise<Record<string, number>> {
    if (!this.#query) {
      const tables = await this.sql<{ name: string }[]>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
      if (tables.length === 0) throw new Error('no tables in the public schema');
      this.#query = `SELECT ${tables.map((t) => `(SELECT count(*) FROM "${t.name}")::int AS "${t.name}"`).join(', ')}`;
    }
    const [row] = await this.sql.unsafe<Record<string, number>[]>(this.#query);
    return { ...row! };
  }
}

export function countDifference(before: Record<string, number>, after: Record<string, number>): string | undefined {
  const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
  return changed.length ? changed.map((t) => `${t} ${before[t]} -> ${after[t]}`).join(', ') : undefined;
}

export type Evaluated = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

/**
 * zen-engine in the fuzzer's own process: what the server must answer for a graph and a context.
 * One engine per release (its loader answers that release's sub-decisions), one ZenDecision per
 * decision, cached.
 */
export class EngineOracle {
  readonly #releases = new Map<string, Promise<{ engine: ZenEngine; decisions: Map<string, ZenDecision> }>>();

  constructor(private readonly api: Api) {}

  async evaluateReleased(project: string, releaseId: string, key: string, context: unknown): Promise<Evaluated> {
    let release = this.#releases.get(releaseId);
    if (!release) {
      release = this.#loadRelease(project, releaseId);
      this.#releases.set(releaseId, release);
      release.catch(() => this.#releases.delete(releaseId));
    }
    const { decisions } = await release;
    const decision = decisions.get(key);
    if (!decision) return { ok: false, error: `release ${releaseId} has no decision '${key}' here` };
    return run(decision, context);
  }

  /** A draft graph (no sub-decisions), as the simulator evaluates it. */
  async evaluateDraft(content: unknown, context: unknown, subDecisions: ReadonlyMap<string, unknown> = new Map()): Promise<Evaluated> {
    const engine = new ZenEngine({
      httpHandler: denyHttp,
      loader: async (key) => {
        const found = subDecisions.get(normalizeDecisionKey(key));
        if (!found) throw new Error(`sub-decision '${key}' not found`);
        return Buffer.from(JSON.stringify(found));
      },
    });
    try {
      return await run(engine.createDecision(Buffer.from(JSON.stringify(content))), context);
    } catch (error) {
      return { ok: false, error: String(error) };
    } finally {
      engine.dispose();
    }
  }

  async #loadRelease(project: string, releaseId: string) {
    const detail = await this.api.call<{ decisions: { key: string }[] }>('GET', `/api/projects/${project}/releases/${releaseId}`);
    const contents = new Map<string, unknown>();
    for (const { key } of detail.decisions) {
      const released = await this.api.call<{ content: unknown }>('GET', `/api/projects/${project}/releases/${releaseId}/decisions/${encodeURIComponent(key)}`);
      contents.set(key, released.content);
    }
    const engine = new ZenEngine({
      httpHandler: denyHttp,
      loader: async (key) => {
        const found = contents.get(normalizeDecisionKey(key));
        if (!found) throw new Error(`sub-decision '${key}' is not in release ${releaseId}`);
        return Buffer.from(JSON.stringify(found));
      },
    });
    const decisions = new Map<string, ZenDecision>();
    for (const [key, content] of contents) {
      try {
        decisions.set(key, engine.createDecision(Buffer.from(JSON.stringify(content))));
      } catch {
        // not loadable here either: nothing to compare against
      }
    }
    return { engine, decisions };
  }

  dispose(): void {
    for (const release of this.#releases.values()) void release.then((r) => r.engine.dispose()).catch(() => undefined);
    this.#releases.clear();
  }
}

// As the server is configured (no VERDICT_HTTP_ALLOW_HOSTS): function nodes reach nothing.
const denyHttp = createHttpHandler([], () => undefined);

async function run(decision: ZenDecision, context: unknown): Promise<Evaluated> {
  try {
    const response = await decision.evaluate(context as object);
    return { ok: true, result: response.result };
  } catch (error) {
    return { ok: false, error: String((error as Error)?.message ?? error) };
  }
}
