import type { Database } from '../../db/database.js';
import { badRequest, notFound } from '../../errors.js';
import { parseDecisionKey } from '../../lib/decision-keys.js';
import type { DecisionsService } from '../decisions/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { ReleaseGate, ReleasesService } from '../releases/service.js';
import type { DraftEngine } from '../simulation/drafts.js';
import { caseCount } from './cases.js';
import { testsFailedError } from './report.js';
import { RunQueue } from './run-queue.js';
import { runCases, type RunOutcome, type TestedDecision } from './runner.js';
import type { RunTestsBody, TestRun } from './schemas.js';

export interface DecisionTestsOptions {
  /** VERDICT_MAX_JSON_DEPTH. */
  readonly maxJsonDepth: number;
  /** VERDICT_TEST_MAX_CASES: the most cases one run (or one release gate) evaluates. */
  readonly maxCasesPerRun: number;
}

export const DEFAULT_DECISION_TESTS_OPTIONS: DecisionTestsOptions = Object.freeze({ maxJsonDepth: 64, maxCasesPerRun: 1000 });

/** Runs waiting for their turn beyond the one running; more are answered 503. */
const MAX_WAITING_RUNS = 4;

/**
 * Runs the test cases stored in decisions (`tests` in each document): the latest saved versions or
 * a release's, all decisions or some. Read-only: nothing is written, whoever may read may run them.
 * Also the gate of `release create --require-tests`.
 */
export class DecisionTestsService {
  readonly #queue = new RunQueue(MAX_WAITING_RUNS);

  constructor(
    private readonly db: Database,
    private readonly services: { readonly projects: ProjectsService; readonly decisions: DecisionsService; readonly releases: ReleasesService },
    private readonly engine: DraftEngine,
    private readonly options: DecisionTestsOptions,
  ) {}

  async run(projectKey: string, body: RunTestsBody, signal?: AbortSignal): Promise<TestRun> {
    const { projects, decisions, releases } = this.services;
    const project = await projects.get(projectKey);
    let all: TestedDecision[];
    let source: TestRun['source'];
    if (body.release === undefined) {
      all = await decisions.current(this.db.read, project.id);
      source = { kind: 'drafts' };
    } else {
      const release = await releases.resolve(this.db.read, project, body.release);
      all = await releases.contents(this.db.read, release.id);
      source = { kind: 'release', id: release.id, label: release.label };
    }
    let tested: TestedDecision[] = all;
    if (body.decisions) {
      const byKey = new Map(all.map((d) => [d.key, d]));
      const keys = [...new Set(body.decisions.map(parseDecisionKey))];
      const missing = keys.filter((k) => !byKey.has(k));
      if (missing.length > 0) {
        const where = source.kind === 'release' ? `release '${source.label}'` : `project '${projectKey}'`;
        throw notFound(`${where} has no decision ${missing.slice(0, 5).map((k) => `'${k}'`).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}`);
      }
      tested = keys.sort().map((k) => byKey.get(k)!);
    }
    const outcome = await this.#run(all, tested, 'choose fewer decisions (`decisions`; verdict test --decision)', signal);
    return { source, ...outcome };
  }

  /** The release gate: every decision's cases, on exactly the contents the release would hold. */
  readonly gate: ReleaseGate = async (entries) => {
    const outcome = await this.#run(entries, entries, 'a release gate runs every case, so raise the limit to gate this release');
    const totals = { decisions: outcome.totals.decisions, cases: outcome.totals.cases, passed: outcome.totals.passed };
    return outcome.passed ? { totals } : { totals, failure: testsFailedError(outcome) };
  };

  async #run(all: readonly TestedDecision[], tested: readonly TestedDecision[], advice: string, signal?: AbortSignal): Promise<RunOutcome> {
    // Counted before anything runs: a run's engine time is bounded by cases x deadline.
    const cases = tested.reduce((n, d) => n + caseCount(d.content), 0);
    const limit = this.options.maxCasesPerRun;
    if (cases > limit) {
      throw badRequest(`the run would evaluate ${cases} test cases; at most ${limit} run at once (VERDICT_TEST_MAX_CASES): ${advice}`, { cases, limit });
    }
    return this.#queue.run(() => runCases(this.engine, all, tested, { maxJsonDepth: this.options.maxJsonDepth, signal }));
  }
}
