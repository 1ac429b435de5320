import { compileGraph, EngineError, EngineWouldCrash, NotSure, type CompiledDecision } from '../../compiled/index.js';
import { canonicalJsonText as canonicalJson } from '../../lib/canonical-json.js';
import { normalizeDecisionKey } from '../../lib/decision-keys.js';
import { withoutTests } from '../../lib/jdm.js';
import type { ServedDecision } from '../sync/serving-source.js';

/**
 * Which evaluator a node uses (VERDICT_EVALUATOR). auto: a decision runs compiled when the
 * compiler accepts it and it agrees with zen-engine on its test cases and contexts made from them;
 * compiled: the same without that check at load (the differential suite is the proof); zen: every
 * decision on zen-engine.
 */
export type EvaluatorMode = 'auto' | 'compiled' | 'zen';
export const EVALUATOR_MODES: readonly EvaluatorMode[] = ['auto', 'compiled', 'zen'];

/** What runs a decision, and why: the release's compile report, as this node sees it. */
export type EvaluatorChoice =
  | { readonly evaluator: 'compiled'; readonly checkedCases: number }
  | { readonly evaluator: 'zen'; readonly reasons: readonly string[] }
  | { readonly evaluator: 'checking'; readonly reasons: readonly string[] };

/** Contexts a decision is checked with at load, and evaluations a release may spend on it. */
const MAX_CONTEXTS_PER_DECISION = 24;
const MAX_CHECKS_PER_RELEASE = 1_500;

/** Evaluates one context with zen-engine (the loaded release, through the engine hosts). */
export type ZenEvaluate = (key: string, context: unknown) => Promise<unknown>;

/**
 * The compiled forms of a release's decisions. A decision starts on zen-engine and moves to its
 * compiled form once that is checked (in auto mode), so loading a release never waits for the
 * check and a decision that disagrees anywhere stays on zen-engine, with the difference reported.
 */
export class ReleaseEvaluators {
  readonly #ready = new Map<string, CompiledDecision>();
  readonly #candidates = new Map<string, CompiledDecision>();
  readonly #report = new Map<string, EvaluatorChoice>();
  readonly #contexts: Map<string, unknown[]>;

  constructor(
    contents: readonly ServedDecision[],
    mode: EvaluatorMode,
    runsFunctions: ReadonlySet<string>,
  ) {
    const byKey = new Map(contents.map((d) => [d.key, withoutTests(d.content)]));
    const resolve = (key: string) => byKey.get(normalizeDecisionKey(key));
    for (const d of contents) {
      if (mode === 'zen') {
        this.#report.set(d.key, { evaluator: 'zen', reasons: ['VERDICT_EVALUATOR=zen'] });
        continue;
      }
      if (runsFunctions.has(d.key)) {
        this.#report.set(d.key, { evaluator: 'zen', reasons: ['runs a function node (itself or through a sub-decision): function nodes run on zen-engine'] });
        continue;
      }
      const compiled = safeCompile(byKey.get(d.key), resolve);
      if (compiled.kind === 'unsupported') {
        this.#report.set(d.key, { evaluator: 'zen', reasons: compiled.reasons });
      } else if (mode === 'compiled') {
        this.#ready.set(d.key, compiled);
        this.#report.set(d.key, { evaluator: 'compiled', checkedCases: 0 });
      } else {
        this.#candidates.set(d.key, compiled);
        this.#report.set(d.key, { evaluator: 'checking', reasons: ['being compared with zen-engine on its test cases'] });
      }
    }
    this.#contexts = new Map(contents.map((d) => [d.key, checkContexts(d)]));
  }

  /** The compiled form to evaluate `key` with, or undefined: zen-engine. */
  compiled(key: string): CompiledDecision | undefined {
    return this.#ready.get(key);
  }

  get report(): ReadonlyMap<string, EvaluatorChoice> {
    return this.#report;
  }

  /**
   * Compares every candidate with zen-engine on its contexts; a decision that agrees on all moves
   * to its compiled form. Differences (a result, or an error on one side only) keep it on zen.
   */
  async check(zen: ZenEvaluate, stillServed: () => boolean): Promise<void> {
    let budget = MAX_CHECKS_PER_RELEASE;
    for (const [key, compiled] of this.#candidates) {
      if (!stillServed()) return;
      const contexts = (this.#contexts.get(key) ?? []).slice(0, Math.max(0, budget));
      budget -= contexts.length;
      const difference = await firstDifference(key, compiled, contexts, zen);
      if (difference === undefined) {
        this.#ready.set(key, compiled);
        this.#report.set(key, { evaluator: 'compiled', checkedCases: contexts.length });
      } else {
        this.#report.set(key, { evaluator: 'zen', reasons: [difference] });
      }
    }
    this.#candidates.clear();
  }
}

/** The compiler refuses what it does not know; a bug in it must not stop a release from loading. */
function safeCompile(graph: unknown, resolve: (key: string) => unknown): ReturnType<typeof compileGraph> {
  try {
    return compileGraph(graph, resolve);
  } catch (error) {
    return { kind: 'unsupported', reasons: [`the compiler failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

type Answer = { readonly ok: true; readonly json: string } | { readonly ok: false };
type Outcome = Answer | 'skip';

/** `undefined` (no result) is written as null, as it leaves the engine. */
const jsonOf = (value: unknown): string => canonicalJson(value) ?? 'null';

async function firstDifference(key: string, compiled: CompiledDecision, contexts: readonly unknown[], zen: ZenEvaluate): Promise<string | undefined> {
  for (const [i, context] of contexts.entries()) {
    const mine = compiledOutcome(compiled, context);
    if (mine === 'skip') continue;
    let theirs: Answer;
    try {
      theirs = { ok: true, json: jsonOf(await zen(key, context)) };
    } catch {
      theirs = { ok: false };
    }
    if (mine.ok !== theirs.ok) return `context ${i + 1}: ${mine.ok ? 'zen-engine fails where the compiled form answers' : 'the compiled form fails where zen-engine answers'}`;
    if (mine.ok && theirs.ok && mine.json !== theirs.json) return `context ${i + 1}: the results differ from zen-engine's`;
  }
  return undefined;
}

function compiledOutcome(compiled: CompiledDecision, context: unknown): Outcome {
  try {
    return { ok: true, json: jsonOf(compiled.evaluate(context)) };
  } catch (error) {
    if (error instanceof EngineError) return { ok: false };
    // Not sure, or the engine would crash on it: nothing to compare (never sent to zen-engine).
    if (error instanceof NotSure || error instanceof EngineWouldCrash) return 'skip';
    return { ok: false };
  }
}

/**
 * The decision's saved test inputs, each also with every top-level field left out and set to
 * null (the edge values rules trip on), and the empty context. Bounded per decision.
 */
function checkContexts(d: ServedDecision): unknown[] {
  const tests = (d.content as { tests?: unknown }).tests;
  const inputs = Array.isArray(tests)
    ? tests.map((t) => (t as { input?: unknown }).input).filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null && !Array.isArray(i))
    : [];
  const contexts: unknown[] = [{}];
  for (const input of inputs) {
    contexts.push(input);
    for (const field of Object.keys(input)) {
      const { [field]: _left, ...without } = input;
      contexts.push(without, { ...input, [field]: null });
    }
  }
  return contexts.slice(0, MAX_CONTEXTS_PER_DECISION);
}
