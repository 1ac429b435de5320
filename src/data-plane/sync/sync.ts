import type { Logger } from 'pino';
import type { Metrics } from '../../observability/metrics.js';
import { CompiledRelease } from '../serving/compiled-release.js';
import { envKey, type EvaluationRuntime } from '../serving/runtime.js';
import { ReleaseFailures } from './release-failures.js';
import type { Snapshot, SnapshotRelease, SnapshotStore } from './snapshot.js';
import type { CatalogEntry, ChangeWatch, ServedToken, ServingSource } from './serving-source.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** After a change notification, how long to keep re-reading a standby that has not replayed it yet. */
const CATCH_UP_MS = 2_000;
/** Between two reads of a standby's change counter while it replays (one cheap one-row read each). */
const REPLAY_CHECK_MS = 5;
/** How long a starting node waits for the database it reads to have replayed the schema. */
const SCHEMA_WAIT_MS = 60_000;
const UNDEFINED_TABLE = '42P01';
import { AppError } from '../../errors.js';
import { isConnectionOrReadOnlyError, sqlState } from '../../lib/pg-errors.js';

export interface SyncStatus {
  readonly lastSuccessAt: Date | undefined;
  readonly lastError: string | undefined;
  readonly consecutiveFailures: number;
  /** Deploy-commit-to-serving delay of the last deployment this node picked up. */
  readonly lastPropagationMs: number | undefined;
  /** Releases this node could not compile, by id: their environments keep what they served. */
  readonly failedReleases: ReadonlyMap<string, string>;
  /** Where the served state came from: the database, or the local snapshot (no database at start). */
  readonly source: 'database' | 'snapshot' | 'none';
  readonly snapshotTakenAt: string | undefined;
}

class SyncTimeout extends Error {
  override name = 'SyncTimeout';
}

/** Rejects when `work` takes longer than `ms`: a database that stops answering must not stall sync. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SyncTimeout(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Keeps the runtime in step with the database: polls the change counter (a one-row read, cheap
 * enough every 250 ms, and it works on hot standbys where NOTIFY does not), and on a change reads
 * the environment catalog and token hashes in one snapshot, compiles only releases it does not
 * have yet, and swaps them in. When the database is unreachable it keeps serving what it has.
 *
 * Where the source can push (a LISTEN on the primary), a committed change wakes the node at once:
 * it re-reads its own database, a standby perhaps, every few milliseconds until that has replayed
 * the change (its counter reached the notified value), so a deploy is served everywhere in tens
 * of milliseconds instead of up to a poll interval later. The poll stays the safety net.
 */
export class RuntimeSync {
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #lastSuccessAt: Date | undefined;
  #lastError: string | undefined;
  #failures = 0;
  #lastPropagationMs: number | undefined;
  readonly #failedReleases = new ReleaseFailures();
  /** Contents of the releases served now, kept for the snapshot. */
  readonly #contents = new Map<string, SnapshotRelease>();
  #source: SyncStatus['source'] = 'none';
  #snapshotTakenAt: string | undefined;
  #watch: ChangeWatch | undefined;
  /** The highest counter value a notification announced; caught up once served. */
  #announced = 0;
  #catchingUp = false;
  /** Polls run one at a time (the timer's and a notification's): two reloads must never interleave. */
  #polling: Promise<boolean> | undefined;

  constructor(
    private readonly source: ServingSource,
    private readonly runtime: EvaluationRuntime,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly snapshots?: SnapshotStore,
  ) {}

  get status(): SyncStatus {
    return {
      lastSuccessAt: this.#lastSuccessAt,
      lastError: this.#lastError,
      consecutiveFailures: this.#failures,
      lastPropagationMs: this.#lastPropagationMs,
      failedReleases: this.#failedReleases.messages,
      source: this.#source,
      snapshotTakenAt: this.#snapshotTakenAt,
    };
  }

  /**
   * Loads everything now (at start), then polls until stopped. With every database unreachable it
   * serves the last-known-good snapshot instead, and catches up once a database answers.
   */
  async start(): Promise<void> {
    try {
      await this.#firstRefresh();
      this.#succeeded();
    } catch (error) {
      const unreachable = error instanceof SyncTimeout || isConnectionOrReadOnlyError(error) || (error instanceof AppError && error.code === 'database-unavailable');
      const snapshot = unreachable ? this.snapshots?.read() : undefined;
      if (!snapshot) throw error;
      await this.#installSnapshot(snapshot);
      this.#failed(error);
      this.logger.warn({ takenAt: snapshot.takenAt, changeCounter: snapshot.changeCounter }, 'no database reachable: serving the last-known-good snapshot');
    }
    this.#stopped = false;
    this.#watch = this.source.watch?.((counter) => this.#announce(counter));
    this.#schedule();
  }

  /** A change committed on the primary: catch up now rather than at the next poll. */
  #announce(counter: number): void {
    if (this.#stopped || counter <= (this.runtime.state?.changeCounter ?? -1)) return;
    this.#announced = Math.max(this.#announced, counter);
    if (this.#catchingUp) return;
    this.#catchingUp = true;
    void this.#catchUp().finally(() => {
      this.#catchingUp = false;
    });
  }

  async #catchUp(): Promise<void> {
    const deadline = performance.now() + CATCH_UP_MS;
    const behind = () => (this.runtime.state?.changeCounter ?? -1) < this.#announced;
    while (!this.#stopped && behind() && performance.now() < deadline) {
      await this.poll();
      if (behind()) await sleep(REPLAY_CHECK_MS);
    }
  }

  /**
   * The first load. A node reading a standby may start before the standby has replayed the schema
   * its writer just migrated (a new region, or a fresh lab): its tables do not exist there yet.
   * That is a wait, not a failure: retried for up to SCHEMA_WAIT_MS, saying why.
   */
  async #firstRefresh(): Promise<void> {
    const deadline = performance.now() + SCHEMA_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.refresh();
      } catch (error) {
        if (sqlState(error) !== UNDEFINED_TABLE || performance.now() > deadline) throw error;
        if (attempt === 0) this.logger.info('the database this node reads has not replayed the schema yet; waiting for it');
        await sleep(250);
      }
    }
  }

  async #installSnapshot(snapshot: Snapshot): Promise<void> {
    for (const release of snapshot.releases) {
      if (this.runtime.hasRelease(release.id)) continue;
      this.runtime.addRelease(await CompiledRelease.compile(this.runtime.engine, release, release.decisions, this.runtime.evaluatorMode));
      this.#contents.set(release.id, release);
    }
    if (snapshot.generation !== null) this.source.observeGeneration(snapshot.generation);
    this.runtime.install(
      snapshot.changeCounter,
      snapshot.catalog.map((e) => ({ ...e, deployedAt: e.deployedAt ? new Date(e.deployedAt) : null })),
      snapshot.tokens,
    );
    this.#source = 'snapshot';
    this.#snapshotTakenAt = snapshot.takenAt;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#watch?.close();
    this.#watch = undefined;
  }

  /** How long one poll (including a reload) may take before it counts as failed. */
  get #pollTimeoutMs(): number {
    return Math.max(5_000, this.intervalMs * 10);
  }

  /** One poll: reload when the change counter moved. Returns true when something was reloaded. */
  async poll(): Promise<boolean> {
    while (this.#polling) await this.#polling.catch(() => undefined);
    const mine = this.#pollOnce();
    this.#polling = mine;
    try {
      return await mine;
    } finally {
      if (this.#polling === mine) this.#polling = undefined;
    }
  }

  async #pollOnce(): Promise<boolean> {
    let changed: boolean;
    try {
      const counter = await withTimeout(this.source.counter(), this.#pollTimeoutMs, 'the database');
      const current = this.runtime.state?.changeCounter;
      changed = current === undefined || counter !== current || this.#failedReleases.retryDue();
      if (changed) await this.refresh();
      this.#succeeded();
    } catch (error) {
      this.#failed(error);
      // No answer at all (a partition that leaves sockets open): the next poll gets fresh connections.
      if (error instanceof SyncTimeout) this.source.resetConnections();
      return false;
    }
    return changed;
  }

  /** Reads the catalog, tokens and new change events in one consistent snapshot and installs them. */
  async refresh(): Promise<void> {
    // Release contents are read in the same snapshot as the catalog that names them: a replica
    // half-way through replaying a deploy can never hand over a release without its decisions.
    // Only the read is timed: loading releases into the engine hosts is this node's own work, and
    // a slow database must not be confused with a large release.
    const snapshot = await withTimeout(
      this.source.read({
        changesSince: this.runtime.state?.changeCounter,
        needsContents: (id) => !this.runtime.hasRelease(id) && !this.#failedReleases.has(id),
      }),
      this.#pollTimeoutMs,
      'the database',
    );
    if (snapshot.generation !== null) this.source.observeGeneration(snapshot.generation);
    // Each release compiles on its own: one that cannot (a graph this engine version refuses) keeps
    // its environments on what they served before, and every other environment moves on.
    const previous = this.runtime.state;
    const catalog = [];
    for (const entry of snapshot.entries) {
      const contents = entry.releaseId ? snapshot.contents.get(entry.releaseId) : undefined;
      if (entry.releaseId && contents && !this.runtime.hasRelease(entry.releaseId)) {
        try {
          if (contents.length === 0) throw new Error('the release has no decisions in the database');
          const release = { id: entry.releaseId, label: entry.releaseLabel!, contentHash: entry.releaseHash! };
          this.runtime.addRelease(await CompiledRelease.compile(this.runtime.engine, release, contents, this.runtime.evaluatorMode));
          this.#contents.set(entry.releaseId, { ...release, decisions: contents });
          this.#failedReleases.forget(entry.releaseId);
        } catch (error) {
          this.#failedReleases.record(entry.releaseId, error);
          this.metrics.reloads.inc({ result: 'error' });
          const again = this.#failedReleases.willRetry(entry.releaseId);
          this.logger.error(
            { releaseId: entry.releaseId, release: entry.releaseLabel, err: error },
            again ? 'cannot load release now; its environments keep what they served until it loads' : 'cannot compile release; its environments keep what they served',
          );
        }
      }
      if (entry.releaseId && this.#failedReleases.has(entry.releaseId)) {
        const kept = previous?.environments.get(envKey(entry.projectKey, entry.environmentKey))?.release;
        catalog.push({ ...entry, releaseId: kept?.id ?? null, releaseLabel: kept?.label ?? null, releaseHash: kept?.contentHash ?? null });
      } else {
        catalog.push(entry);
      }
    }
    this.#failedReleases.keepOnly(new Set(snapshot.entries.map((e) => e.releaseId).filter((id): id is string => id !== null)));
    this.runtime.install(snapshot.counter, catalog, snapshot.tokens);
    this.metrics.reloads.inc({ result: 'ok' });
    this.#source = 'database';
    this.#writeSnapshot(snapshot.counter, snapshot.generation, catalog, snapshot.tokens);
    const now = Date.now();
    for (const event of snapshot.changes) {
      if (event.kind !== 'deployment') continue;
      const delayMs = Math.max(0, now - event.createdAt.getTime());
      this.metrics.propagationDelay.observe(delayMs / 1000);
      this.#lastPropagationMs = delayMs;
    }
    this.logger.info(
      { changeCounter: snapshot.counter, environments: snapshot.entries.length, releases: this.runtime.releaseIds().length, propagationMs: this.#lastPropagationMs },
      'serving state reloaded',
    );
  }

  /** Best effort: a node that cannot write its snapshot still serves; it says so in the log. */
  #writeSnapshot(
    changeCounter: number,
    generation: number | null,
    catalog: readonly CatalogEntry[],
    tokens: readonly ServedToken[],
  ): void {
    const served = new Set(catalog.map((e) => e.releaseId).filter((id): id is string => id !== null));
    for (const id of this.#contents.keys()) if (!served.has(id)) this.#contents.delete(id);
    if (!this.snapshots) return;
    try {
      this.snapshots.write({
        version: 1,
        takenAt: new Date().toISOString(),
        changeCounter,
        generation,
        catalog: catalog.map((e) => ({ ...e, deployedAt: e.deployedAt ? e.deployedAt.toISOString() : null })),
        tokens,
        releases: [...served].map((id) => this.#contents.get(id)).filter((r): r is SnapshotRelease => r !== undefined),
      });
    } catch (error) {
      this.logger.warn({ err: error, file: this.snapshots.file }, 'cannot write the serving snapshot');
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#watch?.renew();
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
}
