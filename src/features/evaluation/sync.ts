import type { Logger } from 'pino';
import type { Metrics } from '../../observability/metrics.js';
import type { Services } from '../../services.js';
import { CompiledRelease } from './compiled-release.js';
import type { EvaluationRuntime } from './runtime.js';

export interface SyncStatus {
  readonly lastSuccessAt: Date | undefined;
  readonly lastError: string | undefined;
  readonly consecutiveFailures: number;
  /** Deploy-commit-to-serving delay of the last deployment this node picked up. */
  readonly lastPropagationMs: number | undefined;
}

const TOKEN_TOUCH_INTERVAL_MS = 30_000;

/**
 * Keeps the runtime in step with the database: polls the change counter (a one-row read, cheap
 * enough every 250 ms, and it works on hot standbys where NOTIFY does not), and on a change reads
 * the environment catalog and token hashes in one snapshot, compiles only releases it does not
 * have yet, and swaps them in. When the database is unreachable it keeps serving what it has.
 */
export class RuntimeSync {
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #lastSuccessAt: Date | undefined;
  #lastError: string | undefined;
  #failures = 0;
  #lastPropagationMs: number | undefined;
  #lastTouch = Date.now();
  readonly #usedTokens = new Set<string>();

  constructor(
    private readonly services: Services,
    private readonly runtime: EvaluationRuntime,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  get status(): SyncStatus {
    return { lastSuccessAt: this.#lastSuccessAt, lastError: this.#lastError, consecutiveFailures: this.#failures, lastPropagationMs: this.#lastPropagationMs };
  }

  /** Called on the evaluation path: remembers a token was used, written in batches later. */
  tokenUsed(hash: string): void {
    this.#usedTokens.add(hash);
  }

  /** Loads everything now (at start), then polls until stopped. */
  async start(): Promise<void> {
    await this.refresh();
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#touchTokens().catch(() => undefined);
  }

  /** One poll: reload when the change counter moved. Returns true when something was reloaded. */
  async poll(): Promise<boolean> {
    try {
      const counter = await this.services.changes.counter();
      const current = this.runtime.state?.changeCounter;
      const changed = current === undefined || counter !== current;
      if (changed) await this.refresh();
      else this.#succeeded();
      if (Date.now() - this.#lastTouch > TOKEN_TOUCH_INTERVAL_MS) await this.#touchTokens();
      return changed;
    } catch (error) {
      this.#failed(error);
      return false;
    }
  }

  /** Reads the catalog, tokens and new change events in one consistent snapshot and installs them. */
  async refresh(): Promise<void> {
    const since = this.runtime.state?.changeCounter;
    const snapshot = (await this.services.db.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => ({
      counter: await this.services.changes.counter(tx),
      catalog: await this.services.environments.catalog(tx),
      tokens: await this.services.evaluationTokens.active(tx),
      events: since === undefined ? [] : await this.services.changes.eventsAfter(tx, since, 10_000),
    }))) as {
      counter: number;
      catalog: Awaited<ReturnType<Services['environments']['catalog']>>;
      tokens: Awaited<ReturnType<Services['evaluationTokens']['active']>>;
      events: Awaited<ReturnType<Services['changes']['eventsAfter']>>;
    };
    try {
      for (const entry of snapshot.catalog) {
        if (!entry.releaseId || this.runtime.hasRelease(entry.releaseId)) continue;
        const contents = await this.services.releases.contents(this.services.db.sql, entry.releaseId);
        this.runtime.addRelease(
          CompiledRelease.compile(this.runtime.engine, { id: entry.releaseId, label: entry.releaseLabel!, contentHash: entry.releaseHash! }, contents),
        );
      }
      this.runtime.install(snapshot.counter, snapshot.catalog, snapshot.tokens);
    } catch (error) {
      this.metrics.reloads.inc({ result: 'error' });
      throw error;
    }
    this.metrics.reloads.inc({ result: 'ok' });
    const now = Date.now();
    for (const event of snapshot.events) {
      if (event.kind !== 'deployment') continue;
      const delayMs = Math.max(0, now - event.createdAt.getTime());
      this.metrics.propagationDelay.observe(delayMs / 1000);
      this.#lastPropagationMs = delayMs;
    }
    this.logger.info(
      { changeCounter: snapshot.counter, environments: snapshot.catalog.length, releases: this.runtime.releaseIds().length, propagationMs: this.#lastPropagationMs },
      'serving state reloaded',
    );
    this.#succeeded();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.poll().finally(() => this.#schedule());
    }, this.intervalMs);
    this.#timer.unref();
  }

  #succeeded(): void {
    if (this.#failures > 0) this.logger.info({ after: this.#failures }, 'database reachable again; serving state is current');
    this.#failures = 0;
    this.#lastError = undefined;
    this.#lastSuccessAt = new Date();
  }

  #failed(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message : String(error);
    if (this.#failures === 0) this.logger.warn({ err: error }, 'cannot sync serving state; still serving what was loaded');
    this.#failures++;
  }

  async #touchTokens(): Promise<void> {
    this.#lastTouch = Date.now();
    if (this.#usedTokens.size === 0) return;
    const hashes = [...this.#usedTokens];
    this.#usedTokens.clear();
    await this.services.evaluationTokens.touch(hashes, new Date());
  }
}
