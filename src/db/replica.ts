import { isConnectionOrReadOnlyError } from '../lib/pg-errors.js';
import type { Sql } from './connect.js';
import type { GenerationFence } from './fencing.js';
import { readGeneration } from './generation.js';
import { hostOf } from './primary-discovery.js';
import { assessReplica, UNMEASURED, type ReaderState, type ReplicaReport } from './replica-lag.js';
import { DeadlineError, withTimeout } from './with-timeout.js';

export interface ReplicaReaderOptions {
  /** DATABASE_READ_URL. */
  readonly url: string;
  readonly pool: (url: string) => Sql;
  readonly timeoutMs: number;
  readonly maxLagMs: number;
  readonly checkEveryMs: number;
  readonly fence: GenerationFence;
  /** The primary's pool, when one is known, to measure the replica against. */
  readonly primary: () => Sql | undefined;
}

/** The local replica: its pool, measured every `checkEveryMs` (see `assessReplica`). */
export class ReplicaReader {
  readonly #options: ReplicaReaderOptions;
  readonly host: string;
  #pool: Sql;
  #state: ReaderState = UNMEASURED;
  #checking: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(options: ReplicaReaderOptions) {
    this.#options = options;
    this.host = hostOf(options.url);
    this.#pool = options.pool(options.url);
    this.#timer = setInterval(() => void this.check(), options.checkEveryMs);
    this.#timer.unref();
  }

  get pool(): Sql {
    return this.#pool;
  }

  get state(): ReaderState {
    return this.#state;
  }

  /** One check at a time; a replica that does not answer in time gets a fresh pool. */
  check(): Promise<void> {
    this.#checking ??= this.#measure().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #measure(): Promise<void> {
    const { timeoutMs, fence } = this.#options;
    const reader = this.#pool;
    try {
      // The primary's position first: a replica measured after it can only look better than it is
      // by what was written in between, never worse.
      // A primary that does not answer in time is slow, not gone: only a failed connection (or
      // none at all) counts as down, which makes the replica usable whatever its lag.
      const primary = this.#options.primary();
      let primaryLsn: string | undefined;
      let primaryDown = primary === undefined;
      if (primary) {
        try {
          primaryLsn = (await withTimeout(primary<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`, Math.min(timeoutMs, 1000)))[0]!.lsn;
        } catch (error) {
          primaryDown = !(error instanceof DeadlineError);
        }
      }
      const [report, generation] = await withTimeout(
        Promise.all([
          reader<ReplicaReport[]>`
            SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay_lsn, pg_last_wal_receive_lsn()::text AS receive_lsn,
                   (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS replay_age_ms`.then((rows) => rows[0]!),
          readGeneration(reader),
        ]),
        timeoutMs,
      );
      const assessed = assessReplica({ report, generation, primaryLsn, primaryDown, highestGeneration: fence.highest, maxLagMs: this.#options.maxLagMs });
      fence.observe(generation);
      if (assessed.fence && generation !== null) fence.fence(this.host, generation);
      this.#state = assessed.state;
    } catch (error) {
      this.#state = { ...UNMEASURED, error: (error as Error).message };
      // A pool that lost its server reconnects with a growing backoff: start afresh instead.
      if (error instanceof DeadlineError || isConnectionOrReadOnlyError(error)) this.reset(reader);
    }
  }

  /** A fresh pool, unless `stale` was already replaced. */
  reset(stale: Sql = this.#pool): void {
    if (this.#pool !== stale) return;
    this.#pool = this.#options.pool(this.#options.url);
    void stale.end({ timeout: 0 }).catch(() => undefined);
  }

  /** No more checks; waits for one under way (it may be using the primary's pool). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checking?.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.#pool.end({ timeout: 5 });
  }
}
