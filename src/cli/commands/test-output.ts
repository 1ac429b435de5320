import type { Difference } from '../../control-plane/decision-tests/compare.js';
import type { TestCaseResult, TestRun } from '../../control-plane/decision-tests/schemas.js';
import type { CliIo } from '../io.js';

const INDENT = '        ';

/** A value on one line, cut where a terminal line would wrap many times. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** `tests[1] 'silver customer'`: how a case is named on every line about it. */
export function caseLabel(index: number, name?: string): string {
  return `tests[${index}]${name === undefined ? '' : ` '${name}'`}`;
}

/**
 * Where the actual result differs from the expected one, as a unified diff would show it: `-` the
 * expected value, `+` the actual one, each with its JSON Pointer (a key only on one side gets one line).
 */
export function printDifferences(io: CliIo, differences: readonly Difference[]): void {
  for (const d of differences) {
    const path = d.path === '' ? '(the result)' : d.path;
    if ('expected' in d) io.stdout(`${INDENT}- ${path}: ${show(d.expected)}\n`);
    if ('actual' in d) io.stdout(`${INDENT}+ ${path}: ${show(d.actual)}\n`);
  }
}

function printFailure(io: CliIo, c: TestCaseResult): void {
  if (c.error !== undefined) io.stdout(`${INDENT}error: ${c.error}\n`);
  if (c.differences?.length) {
    io.stdout(`${INDENT}(- expected, + actual)\n`);
    printDifferences(io, c.differences);
  }
}

/** One PASS/FAIL line per case, the diff under each failure, decisions without tests, and a summary line. */
export function printRun(io: CliIo, run: TestRun): void {
  const width = Math.max(0, ...run.decisions.map((d) => d.key.length));
  for (const decision of run.decisions) {
    for (const c of decision.cases) {
      io.stdout(`${c.passed ? 'PASS' : 'FAIL'}  ${decision.key.padEnd(width)}  ${caseLabel(c.index, c.name)}\n`);
      if (!c.passed) printFailure(io, c);
    }
  }
  if (run.untested.length > 0) io.stdout(`no test cases: ${run.untested.join(', ')}\n`);
  io.stdout(`${summary(run)}\n`);
}

/** "12 cases in 3 decisions: 11 passed, 1 failed (release v3)". */
export function summary(run: TestRun): string {
  const { cases, decisions, passed, failed } = run.totals;
  const where = run.source.kind === 'release' ? `release ${run.source.label}` : 'latest saved versions';
  return `${cases} case${cases === 1 ? '' : 's'} in ${decisions} decision${decisions === 1 ? '' : 's'}: ${passed} passed, ${failed} failed (${where})`;
}

/** A failing case as the release gate's refusal lists it (problem `errors` items). */
export interface GateFailure {
  readonly decision?: string;
  readonly testCase?: number;
  readonly testName?: string;
  readonly message?: string;
  readonly error?: string;
  readonly differences?: readonly Difference[];
}

/** The cases a refused release failed, as `verdict test` prints failures. */
export function printGateFailures(io: CliIo, failures: readonly GateFailure[], unlisted: number): void {
  const width = Math.max(0, ...failures.map((f) => (f.decision ?? '').length));
  for (const f of failures) {
    io.stdout(`FAIL  ${(f.decision ?? '?').padEnd(width)}  ${caseLabel(f.testCase ?? 0, f.testName)}\n`);
    printFailure(io, { index: f.testCase ?? 0, passed: false, ...(f.error === undefined ? {} : { error: f.error }), ...(f.differences ? { differences: [...f.differences] } : {}) });
  }
  if (unlisted > 0) io.stdout(`... and ${unlisted} more failing case${unlisted === 1 ? '' : 's'} (verdict test lists them all)\n`);
}
