import { AppError } from '../../errors.js';
import type { Difference } from './compare.js';
import type { RunOutcome } from './runner.js';
import type { TestCaseResult } from './schemas.js';

/** A refused release lists this many failing cases; the count says how many more there were. */
const MAX_LISTED = 50;
const MAX_LISTED_DIFFERENCES = 10;
/** Values longer than this (as JSON) are cut in a refusal: it names what differs, the run shows it all. */
const MAX_VALUE_CHARS = 200;

function clip(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text !== undefined && text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : value;
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** One difference in words: "at /total expected 37.981, got 38". */
export function describeDifference(d: Difference): string {
  const at = d.path === '' ? 'the result' : d.path;
  if (!('actual' in d)) return `${at}: expected ${show(d.expected)}, missing`;
  if (!('expected' in d)) return `${at}: not expected, got ${show(d.actual)}`;
  return `${at}: expected ${show(d.expected)}, got ${show(d.actual)}`;
}

/** Why a case failed, in one line. */
export function describeFailure(c: TestCaseResult): string {
  if (c.error !== undefined) return c.error;
  const [first, ...rest] = c.differences ?? [];
  if (!first) return 'the result differs from the expected output';
  return `${describeDifference(first)}${rest.length ? ` (and ${rest.length} more difference${rest.length > 1 ? 's' : ''})` : ''}`;
}

/**
 * The 422 that refuses a release whose tests fail: the totals, and the failing cases (decision,
 * version, case index and name, what differs), bounded so that a release with thousands of
 * failing cases still gets a readable answer. `errors` items have the shape of graph problems
 * (decision, testCase, testName, message), so clients that list those list these too.
 */
export function testsFailedError(outcome: RunOutcome): AppError {
  const failures = outcome.decisions.flatMap((d) => d.cases.filter((c) => !c.passed).map((c) => ({ decision: d, testCase: c })));
  const errors = failures.slice(0, MAX_LISTED).map(({ decision, testCase: c }) => ({
    decision: decision.key,
    version: decision.version,
    testCase: c.index,
    ...(c.name === undefined ? {} : { testName: c.name }),
    message: describeFailure(c),
    ...(c.error === undefined ? {} : { error: c.error }),
    ...(c.differences
      ? { differences: c.differences.slice(0, MAX_LISTED_DIFFERENCES).map((d) => ({ path: d.path, ...('expected' in d ? { expected: clip(d.expected) } : {}), ...('actual' in d ? { actual: clip(d.actual) } : {}) })) }
      : {}),
  }));
  const first = failures[0];
  const { failed, cases } = outcome.totals;
  const where = first ? `; first: decision '${first.decision.key}', tests[${first.testCase.index}]${first.testCase.name === undefined ? '' : ` ('${first.testCase.name}')`}: ${describeFailure(first.testCase)}` : '';
  return new AppError('tests-failed', `${failed} of ${cases} test case${cases === 1 ? '' : 's'} failed, so no release was made${where}`, {
    totals: outcome.totals,
    errors,
    ...(failures.length > MAX_LISTED ? { unlisted: failures.length - MAX_LISTED } : {}),
  });
}
