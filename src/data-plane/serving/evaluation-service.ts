import { AppError, badRequest, notFound } from '../../errors.js';
import { describeJsonProblem, jsonProblem, type JsonLimits } from '../../lib/json-limits.js';
import { hashSecret } from '../../lib/secrets.js';
import { OUTCOMES } from '../../observability/evaluation-outcomes.js';
import type { EvaluationOutcome, Metrics } from '../../observability/metrics.js';
import { normalizeDecisionKey } from '../../lib/decision-keys.js';
import type { CompiledRelease } from './compiled-release.js';
import { engineError } from '../engine/engine-errors.js';
import { envKey, type EvaluationRuntime, type ServedEnvironment } from './runtime.js';
import type { EvaluateBatchResponse, EvaluateResponse } from '../http/schemas.js';
import type { TokenUsageRecorder } from '../sync/token-usage.js';
import { EngineFailure, type EnginePool, type EvaluationTarget } from '../engine/engine-pool.js';
import { runCompiled, runCompiledBatch } from './run-compiled.js';

/** Evaluation tokens are 52 characters; anything far longer is refused before it is hashed or remembered. */
const MAX_TOKEN_LENGTH = 256;

/**
 * The data plane: authorises evaluation tokens and evaluates decisions, from memory only. Nothing
 * here touches the database, so evaluation goes on while databases fail over.
 */
export class EvaluationService {
  readonly #counters = new Map<string, { inc(by?: number): void }>();
  readonly #histograms = new Map<string, { observe(seconds: number): void }>();
  readonly #tokenHashes = new Map<string, string>();
  /** Failures already counted with their decision's labels (countRefused skips them). */
  readonly #counted = new WeakSet<object>();

  constructor(
    private readonly runtime: EvaluationRuntime,
    private readonly tokenUsage: Pick<TokenUsageRecorder, 'record'>,
    private readonly metrics: Metrics,
    private readonly batchMaxItems: number,
    private readonly engine: EnginePool,
    private readonly limits: JsonLimits,
  ) {}

  /** The environment a request evaluates in: the token's, checked against the URL. */
  resolve(projectKey: string, environmentKey: string | undefined, token: string | undefined): ServedEnvironment {
    const state = this.runtime.state;
    if (!state) throw new AppError('not-ready', 'this node has not loaded its serving state yet; retry shortly');
    if (!token) throw new AppError('unauthorized', "send the environment's evaluation token in the X-Access-Token header");
    if (token.length > MAX_TOKEN_LENGTH) throw new AppError('unauthorized', 'the evaluation token is unknown or has been revoked');
    const hash = this.#hash(token);
    const served = state.tokens.get(hash);
    if (!served) throw new AppError('unauthorized', 'the evaluation token is unknown or has been revoked');
    if (environmentKey === undefined) {
      if (served.projectKey !== projectKey) {
        if (!state.projects.has(projectKey)) throw notFound(`project '${projectKey}' does not exist`);
        throw new AppError('forbidden', `this token belongs to project '${served.projectKey}', not '${projectKey}'`);
      }
    } else {
      const target = state.environments.get(envKey(projectKey, environmentKey));
      if (!target) throw notFound(`project '${projectKey}' has no environment '${environmentKey}'`);
      if (target.environmentId !== served.environmentId) {
        throw new AppError(
          'forbidden',
          `this token belongs to environment '${served.projectKey}/${served.environmentKey}', not '${projectKey}/${environmentKey}'`,
        );
      }
    }
    this.tokenUsage.record(hash);
    return served;
  }

  async evaluate(served: ServedEnvironment, rawKey: string, context: unknown, trace: boolean): Promise<EvaluateResponse> {
    const { release, key } = this.#target(served, rawKey);
    this.#checkContext(context, 'the context');
    const startedAt = performance.now();
    try {
      // Traces keep the engine's GoRules shape: a traced evaluation always runs on zen-engine.
      const compiled = trace ? undefined : runCompiled(release, key, context);
      if (compiled) {
        this.#count(served, key, 'ok');
        return { ...compiled, details: { releaseId: release.id, releaseLabel: release.label, environment: served.environmentKey, evaluator: 'compiled' } };
      }
      const response = await release.use(() => this.engine.evaluate(target(served, release, key), context, trace));
      this.#count(served, key, 'ok');
      return {
        result: response.result,
        performance: response.performance,
        ...(trace ? { trace: response.trace } : {}),
        details: { releaseId: release.id, releaseLabel: release.label, environment: served.environmentKey, evaluator: 'zen' },
      };
    } catch (error) {
      const problem = error instanceof EngineFailure ? engineError(error, (id) => release.node(key, id), key) : error;
      if (problem instanceof AppError) {
        this.#count(served, key, OUTCOMES[problem.code]);
        this.#counted.add(problem);
      }
      throw problem;
    } finally {
      this.#observe(served, startedAt);
    }
  }

  /** Many contexts against one decision, concurrently, with one deadline; per-item errors, results in order. */
  async evaluateBatch(served: ServedEnvironment, rawKey: string, contexts: readonly unknown[], trace: boolean): Promise<EvaluateBatchResponse> {
    if (contexts.length > this.batchMaxItems) {
      throw badRequest(`a batch holds at most ${this.batchMaxItems} contexts (got ${contexts.length}; VERDICT_BATCH_MAX_ITEMS)`);
    }
    const { release, key } = this.#target(served, rawKey);
    contexts.forEach((context, i) => this.#checkContext(context, `context ${i + 1}`));
    const startedAt = performance.now();
    try {
      let items;
      try {
        const compiled = trace ? undefined : runCompiledBatch(release, key, contexts);
        items = compiled ?? (await release.use(() => this.engine.batch(target(served, release, key), contexts, trace)));
      } catch (error) {
        if (error instanceof AppError) {
          this.#count(served, key, OUTCOMES[error.code], contexts.length);
          this.#counted.add(error);
        }
        throw error;
      }
      const results = items.map((item) => {
        if (item.ok) return { result: item.response.result, performance: item.response.performance, ...(trace ? { trace: item.response.trace } : {}) };
        const problem = engineError(item.error, (id) => release.node(key, id), key);
        return {
          error: {
            status: problem.status,
            code: problem.code,
            title: problem.title,
            detail: problem.detail,
            ...(problem.extensions as { nodeId?: string; nodeName?: string }),
          },
        };
      });
      const failed = results.filter((r) => 'error' in r).length;
      this.#count(served, key, 'ok', results.length - failed);
      this.#count(served, key, 'engine_error', failed);
      return {
        results,
        succeeded: results.length - failed,
        failed,
        details: { releaseId: release.id, releaseLabel: release.label, environment: served.environmentKey },
      };
    } finally {
      this.#observe(served, startedAt);
    }
  }

  /** Counts a request refused before evaluation (bad token, unknown decision...). */
  countRefused(projectKey: string, error: unknown): void {
    if (typeof error === 'object' && error !== null && this.#counted.has(error)) return;
    const code = error instanceof AppError ? error.code : 'bad-request';
    // The decision label only for keys that exist: URLs are caller-controlled and labels must stay bounded.
    this.metrics.evaluations.inc({ project: this.runtime.state?.projects.has(projectKey) ? projectKey : '', environment: '', decision: '', outcome: OUTCOMES[code] });
  }

  /** Bounds what reaches the engine: it crashes on values nested a few thousand deep. */
  #checkContext(context: unknown, what: string): void {
    const problem = jsonProblem(context, this.limits);
    if (problem) throw badRequest(describeJsonProblem(problem, what));
  }

  #target(served: ServedEnvironment, rawKey: string): { release: CompiledRelease; key: string } {
    const release = served.release;
    if (!release) throw notFound(`nothing is deployed to '${served.projectKey}/${served.environmentKey}' yet`);
    const key = normalizeDecisionKey(rawKey);
    if (!release.decisions.has(key)) {
      throw notFound(`release '${release.label}' deployed to '${served.environmentKey}' has no decision '${key}'`);
    }
    return { release, key };
  }

  /** SHA-256 of a presented token, memoised: a client sends the same token on every request. */
  #hash(token: string): string {
    let hash = this.#tokenHashes.get(token);
    if (hash === undefined) {
      if (this.#tokenHashes.size >= 10_000) this.#tokenHashes.clear(); // bounded: unknown tokens cannot grow it
      hash = hashSecret(token);
      this.#tokenHashes.set(token, hash);
    }
    return hash;
  }

  #count(served: ServedEnvironment, key: string, outcome: EvaluationOutcome, by = 1): void {
    if (by === 0) return;
    // Labelled children are cached: resolving labels on every call costs more than the increment.
    const id = `${served.projectKey}\0${served.environmentKey}\0${key}\0${outcome}`;
    let counter = this.#counters.get(id);
    if (!counter) {
      counter = this.metrics.evaluations.labels(served.projectKey, served.environmentKey, key, outcome);
      this.#counters.set(id, counter);
    }
    counter.inc(by);
  }

  /**
   * Records a request's duration. performance.now() and the cached child's observe(), not
   * startTimer(): its closure, two hrtime() calls and label-object merges showed up per request.
   */
  #observe(served: ServedEnvironment, startedAt: number): void {
    const id = `${served.projectKey}\0${served.environmentKey}`;
    let histogram = this.#histograms.get(id);
    if (!histogram) {
      histogram = this.metrics.evaluationDuration.labels(served.projectKey, served.environmentKey);
      this.#histograms.set(id, histogram);
    }
    histogram.observe((performance.now() - startedAt) / 1000);
  }
}

function target(served: ServedEnvironment, release: CompiledRelease, key: string): EvaluationTarget {
  return {
    ns: release.namespace,
    key,
    label: `${served.projectKey}/${served.environmentKey}/${key}@${release.label}`,
    runsFunctions: release.runsFunctions.has(key),
  };
}
