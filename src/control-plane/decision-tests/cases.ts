import { describeJsonProblem, jsonProblem } from '../../lib/json-limits.js';
import type { JdmDocument } from '../../lib/jdm.js';
import type { JdmProblem } from '../decisions/jdm-problems.js';

/**
 * Test cases live inside the decision's document, where the JDM corpus keeps them: a top-level
 * `tests: [{ name?, input, output }]` next to `nodes` and `edges`. So they are versioned, hashed,
 * released, packaged and diffed with the graph they test, and a release freezes the tests its
 * decisions passed. `output` is the engine's `result` for `input`.
 */
export interface TestCase {
  readonly name?: string;
  readonly input: Record<string, unknown>;
  readonly output: unknown;
}

/**
 * What one decision's tests may hold. Each case costs an evaluation in the engine's isolated lane
 * when tests run, and the cases travel with every save, release and package: far above what
 * hand-written cases need (the corpus has at most 12), small enough that no decision makes a run
 * or a package heavy.
 */
export const TEST_CASE_LIMITS = Object.freeze({
  maxCases: 200,
  /** JSON bytes of one case (name, input and output). */
  maxCaseBytes: 64 * 1024,
  /** JSON bytes of all of a decision's cases together. */
  maxTotalBytes: 1024 * 1024,
  maxNameLength: 200,
});

/** A case as stored: usable, or why not (content saved before tests were checked may hold anything). */
export type StoredCase = { readonly index: number; readonly name?: string } & ({ readonly case: TestCase } | { readonly problem: string });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The name a case carries, if it is a usable one (for messages). */
function nameOf(value: unknown): string | undefined {
  const name = isObject(value) ? value.name : undefined;
  return typeof name === 'string' && name.length <= TEST_CASE_LIMITS.maxNameLength ? name : undefined;
}

/**
 * What is wrong with one case, or undefined. `maxJsonDepth` is the limit of the whole document
 * (VERDICT_MAX_JSON_DEPTH): a case sits two levels down in it (document, `tests` array), so the
 * graph's own depth check and this one agree, and this one names the case.
 */
function caseProblem(value: unknown, index: number, maxJsonDepth: number): string | undefined {
  if (!isObject(value)) return 'a test case must be an object { name?, input, output }';
  if (value.name !== undefined && (typeof value.name !== 'string' || value.name.length > TEST_CASE_LIMITS.maxNameLength)) {
    return `name must be a string of at most ${TEST_CASE_LIMITS.maxNameLength} characters`;
  }
  if (!isObject(value.input)) return 'input must be a JSON object (the context the decision is evaluated with)';
  if (!('output' in value)) return 'output is missing (the result the decision must give for input)';
  const deep = jsonProblem(value, { maxDepth: maxJsonDepth - 2 });
  if (deep?.kind === 'too-deep') return `nested deeper than ${maxJsonDepth} levels, counted from the top of the decision, at /tests/${index}${deep.path} (VERDICT_MAX_JSON_DEPTH)`;
  if (deep) return describeJsonProblem(deep, 'the case');
  // Input goes to the engine as evaluation input does, and is bounded the same way.
  const input = jsonProblem(value.input, { maxDepth: maxJsonDepth, engineNumbers: true });
  if (input) return describeJsonProblem(input, 'input');
  return undefined;
}

function bytesOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * The problems of a document's `tests` (none when it has none), each naming the case by index
 * (and name). Checked at every save, so the cases a release freezes can always be run.
 */
export function testCaseProblems(doc: JdmDocument, maxJsonDepth: number): JdmProblem[] {
  if (!('tests' in doc) || doc.tests === undefined) return [];
  const tests = doc.tests;
  if (!Array.isArray(tests)) return [{ message: 'tests must be an array of test cases [{ name?, input, output }]' }];
  if (tests.length > TEST_CASE_LIMITS.maxCases) {
    return [{ message: `the decision has ${tests.length} test cases; at most ${TEST_CASE_LIMITS.maxCases} are accepted` }];
  }
  const problems: JdmProblem[] = [];
  let total = 0;
  for (const [index, value] of tests.entries()) {
    const name = nameOf(value);
    const at = { testCase: index, ...(name === undefined ? {} : { testName: name }) };
    const problem = caseProblem(value, index, maxJsonDepth);
    if (problem) {
      problems.push({ ...at, message: problem });
      continue;
    }
    const bytes = bytesOf(value);
    if (bytes > TEST_CASE_LIMITS.maxCaseBytes) {
      problems.push({ ...at, message: `the case is ${bytes} bytes of JSON; at most ${TEST_CASE_LIMITS.maxCaseBytes} are accepted per case` });
      continue;
    }
    total += bytes;
    if (total > TEST_CASE_LIMITS.maxTotalBytes) {
      problems.push({ ...at, message: `the test cases up to this one are more than ${TEST_CASE_LIMITS.maxTotalBytes} bytes of JSON, the most a decision's tests may hold` });
      break;
    }
  }
  return problems;
}

/** The cases stored in a document, each usable or with the reason it cannot run. */
export function storedCases(doc: JdmDocument, maxJsonDepth: number): StoredCase[] {
  const tests = (doc as { tests?: unknown }).tests;
  if (tests === undefined) return [];
  if (!Array.isArray(tests)) return [{ index: 0, problem: 'tests is not an array of test cases' }];
  return tests.map((value: unknown, index) => {
    const name = nameOf(value);
    const named = { index, ...(name === undefined ? {} : { name }) };
    const problem = caseProblem(value, index, maxJsonDepth);
    return problem ? { ...named, problem } : { ...named, case: value as TestCase };
  });
}

/** How many cases a document holds (what a run would evaluate), without checking them. */
export function caseCount(doc: JdmDocument): number {
  const tests = (doc as { tests?: unknown }).tests;
  return Array.isArray(tests) ? tests.length : tests === undefined ? 0 : 1;
}
