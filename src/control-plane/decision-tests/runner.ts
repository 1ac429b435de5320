import { AppError } from '../../errors.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { DraftGraph, withSubDecisions, type DraftEngine } from '../simulation/drafts.js';
import { storedCases, type StoredCase } from './cases.js';
import { differences } from './compare.js';
import type { DecisionTestResult, TestCaseResult, TestTotals } from './schemas.js';

/** A decision as a run sees it: the version whose tests run, and the graph they run against. */
export interface TestedDecision {
  readonly key: string;
  readonly version: number;
  readonly contentHash: string;
  readonly content: JdmDocument;
}

export interface RunOutcome {
  readonly passed: boolean;
  readonly totals: TestTotals;
  readonly decisions: DecisionTestResult[];
  readonly untested: string[];
}

export interface RunOptions {
  /** VERDICT_MAX_JSON_DEPTH: what a case's input may be, as for any evaluation input. */
  readonly maxJsonDepth: number;
  /** The caller went away: the run stops before its next case. */
  readonly signal?: AbortSignal | undefined;
}

/** Answers that make one case fail; anything else (the node is busy or shutting down, the database) fails the run. */
const CASE_FAILURES = new Set(['evaluation-failed', 'evaluation-timeout', 'bad-request']);

/**
 * Runs the test cases of `tested` against `all` (the set their sub-decisions resolve from: the
 * release, or the latest versions), one case at a time, each as an editor's simulation is run:
 * in the engine's isolated lane, with its deadline (VERDICT_EVAL_TIMEOUT_MS). An engine error or
 * a timeout fails the case, not the run; after a timeout the decision's remaining cases are not
 * sent (each would most likely cost the whole deadline again) and fail saying so.
 */
export async function runCases(engine: DraftEngine, all: readonly TestedDecision[], tested: readonly TestedDecision[], options: RunOptions): Promise<RunOutcome> {
  const graphs = new Map(all.map((d) => [d.key, d.content]));
  const load = (key: string) => Promise.resolve(graphs.get(key));
  const decisions: DecisionTestResult[] = [];
  const untested: string[] = [];
  for (const decision of tested) {
    const cases = storedCases(decision.content, options.maxJsonDepth);
    if (cases.length === 0) {
      untested.push(decision.key);
      continue;
    }
    const draft = new DraftGraph(await withSubDecisions(decision.key, decision.content, load), decision.key);
    const results: TestCaseResult[] = [];
    let skip: string | undefined;
    for (const stored of cases) {
      if (options.signal?.aborted) throw new AppError('request-timeout', 'the test run was abandoned: the client went away');
      const result = skip === undefined ? await runCase(engine, draft, stored) : failed(stored, skip);
      if (result.timedOut) skip = `not run: tests[${stored.index}] of this decision ran past the evaluation deadline`;
      results.push(result.result);
    }
    const passed = results.filter((r) => r.passed).length;
    decisions.push({ key: decision.key, version: decision.version, contentHash: decision.contentHash, passed, failed: results.length - passed, cases: results });
  }
  const totals = {
    decisions: decisions.length,
    cases: decisions.reduce((n, d) => n + d.cases.length, 0),
    passed: decisions.reduce((n, d) => n + d.passed, 0),
    failed: decisions.reduce((n, d) => n + d.failed, 0),
  };
  return { passed: totals.failed === 0, totals, decisions, untested };
}

type CaseRun = { readonly result: TestCaseResult; readonly timedOut?: boolean };

function failed(stored: StoredCase, error: string): CaseRun {
  const expected = 'case' in stored ? { expected: stored.case.output, input: stored.case.input } : {};
  return { result: { index: stored.index, ...(stored.name === undefined ? {} : { name: stored.name }), passed: false, ...expected, error } };
}

async function runCase(engine: DraftEngine, draft: DraftGraph, stored: StoredCase): Promise<CaseRun> {
  if (!('case' in stored)) return failed(stored, `the case cannot run: ${stored.problem}`);
  const { input, output } = stored.case;
  const named = { index: stored.index, ...(stored.name === undefined ? {} : { name: stored.name }) };
  for (let attempt = 1; ; attempt++) {
    try {
      const { result } = await draft.evaluate(engine, input, false);
      const found = differences(output, result);
      if (found.length === 0) return { result: { ...named, passed: true, expected: output } };
      return { result: { ...named, passed: false, expected: output, actual: result, input, differences: found } };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The isolated lane may still be replacing a host a previous case stopped: once more.
      if (error.code === 'not-ready' && attempt === 1) continue;
      if (!CASE_FAILURES.has(error.code)) throw error;
      return { ...failed(stored, error.detail), timedOut: error.code === 'evaluation-timeout' };
    }
  }
}
