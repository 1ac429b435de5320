import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { isConnectionOrReadOnlyError } from '../lib/pg-errors.js';
import { connect, type Sql, type TransactionSql } from './connect.js';
import { splitHosts } from './hosts.js';
import { readGeneration } from './generation.js';
import { claimKey, idempotencyContext, storeResult } from './idempotency.js';

export interface DatabaseOptions {
  /** DATABASE_URL: one or several hosts (`postgres://u@h1:5432,h2:5432/db`). */
  readonly writerUrl: string;
  /** DATABASE_READ_URL: the local replica, if any. */
  readonly readerUrl?: string | undefined;
  /** Reads fall back to the writer when the replica is further behind than this. */
  readonly maxReadLagMs?: number;
  /** Connect timeout and server-side statement timeout. */
  readonly timeoutMs?: number;
  readonly logger?: Logger | undefined;
  readonly poolSize?: number;
}

export interface TransactionOptions {
  /**
   * The work may run again after a failure in COMMIT itself, whose outcome is unknown (it is
   * idempotent, or protected by an Idempotency-Key). Failures before COMMIT are always retried:
   * nothing was committed.
   */
  readonly idempotent?: boolean;
}

export interface HostStatus {
  readonly host: string;
  readonly role: 'primary' | 'standby' | 'unreachable';
  readonly generation: number | null;
  readonly error?: string;
}

export interface DatabaseStatus {
  readonly writer: { readonly host: string | undefined; readonly generation: number | null };
  readonly highestGeneration: number;
  readonly reader: { readonly host: string; readonly healthy: boolean; readonly standby: boolean; readonly lagMs: number | null; readonly error?: string } | undefined;
  /** Writable servers refused because their generation is older than one already seen. */
  readonly fenced: readonly { readonly host: string; readonly generation: number; readonly at: string }[];
}

export class FencedError extends AppError {
  constructor(host: string, generation: number, highest: number) {
    super(
      'database-unavailable',
      `refusing to write to ${host}: its cluster generation ${generation} is older than ${highest}, seen on another server (an old primary that came back?)`,
      { fenced: host, generation, highestGeneration: highest },
    );
  }
}

const RETRY_DELAYS_MS = [50, 250, 1000];
const READER_CHECK_MS = 250;

/**
 * The application's handle on PostgreSQL. Writes go through `transaction`, the one place where
 * write-path policy lives: it finds the primary among the configured hosts (the writable one with
 * the highest cluster generation), refuses a server whose generation is older than one already
 * seen (an old primary that came back: fencing), and after a primary is lost re-discovers it and
 * retries what is safe to retry. Reads use the local replica while it is healthy and close enough
 * to the primary, else the writer.
 */
export class Database {
  readonly #options: DatabaseOptions;
  readonly #hosts: string[];
  #writer: Sql | undefined;
  #writerHost: string | undefined;
  #writerGeneration: number | null = null;
  #highestGeneration = 0;
  #discovering: Promise<Sql> | undefined;
  readonly #fenced = new Map<string, { host: string; generation: number; at: string }>();
  readonly #reader: Sql | undefined;
  readonly #readerHost: string | undefined;
  #readerState: { healthy: boolean; standby: boolean; lagMs: number | null; error?: string } = { healthy: false, standby: false, lagMs: null };
  #readerTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #generationTableSeen = false;

  constructor(options: DatabaseOptions) {
    this.#options = options;
    this.#hosts = splitHosts(options.writerUrl);
    if (this.#hosts.length === 1) {
      // One host: nothing to discover, connect lazily like any pool.
      this.#writer = this.#pool(this.#hosts[0]!);
      this.#writerHost = hostOf(this.#hosts[0]!);
    }
    if (options.readerUrl) {
      this.#reader = this.#pool(options.readerUrl);
      this.#readerHost = hostOf(options.readerUrl);
      this.#readerTimer = setInterval(() => void this.checkReader(), READER_CHECK_MS);
      this.#readerTimer.unref();
    }
  }

  /** The writer pool (the primary). Prefer `transaction` for writes: it fences and retries. */
  get sql(): Sql {
    if (!this.#writer) throw new AppError('database-unavailable', 'no primary database found yet; retry shortly');
    return this.#writer;
  }

  /** Where reads go: the local replica while healthy and within VERDICT_MAX_READ_LAG_MS, else the writer. */
  get read(): Sql {
    if (this.#reader && this.#readerState.healthy) return this.#reader;
    if (!this.#writer && !this.#reader && this.#hosts.length > 1) void this.#discover().catch(() => undefined); // ready for the next call
    return this.#writer ?? this.#reader ?? this.sql;
  }

  /** Connects: finds the primary when several hosts are configured, and checks the replica once. */
  async open(): Promise<void> {
    if (this.#hosts.length > 1) await this.#discover();
    else await this.#observeGeneration(this.sql);
    if (this.#reader) await this.checkReader();
  }

  /** Runs `work` in a write transaction on the primary, fenced and retried (see the class comment). */
  async transaction<T>(work: (tx: TransactionSql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // A request with an Idempotency-Key claims it in its first transaction, which stores the result.
    const context = idempotencyContext.getStore();
    const keyed = context && !context.consumed ? context : undefined;
    if (keyed) keyed.consumed = true; // later transactions of the same request are plain
    const idempotent = options.idempotent ?? keyed !== undefined;
    for (let attempt = 0; ; attempt++) {
      const writer = this.#writer ?? (await this.#discover());
      const host = this.#writerHost!;
      let committing = false;
      try {
        return (await writer.begin(async (tx) => {
          await this.#checkGeneration(tx, host);
          if (keyed) {
            const claim = await claimKey(tx, keyed);
            if (claim) return claim.replay as T; // this request already committed: answer as it did
          }
          const result = await work(tx);
          if (keyed) await storeResult(tx, keyed, result);
          committing = true;
          return result;
        })) as T;
      } catch (error) {
        const retriable = error instanceof FencedError || isConnectionOrReadOnlyError(error);
        if (!retriable || attempt >= RETRY_DELAYS_MS.length || this.#closed) throw error;
        if (committing && !idempotent) throw error; // the commit may have happened: do not do it twice
        void this.checkReader(); // reads move to the replica now, not at the next periodic check
        this.#options.logger?.warn({ err: error, host, attempt: attempt + 1 }, 'write failed on the primary; finding the primary again');
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
        if (this.#hosts.length > 1) await this.#discover().catch(() => undefined);
      }
    }
  }

  /**
   * Measures the replica: reachable, a standby, and how far behind the primary it is. Lag is 0 when
   * it has replayed up to the primary's current position (however long ago the last transaction
   * was). With the primary unreachable the replica is all there is: it stays in use for reads,
   * stale or not (static stability beats failing reads).
   */
  async checkReader(): Promise<void> {
    if (!this.#reader) return;
    const maxLag = this.#options.maxReadLagMs ?? 10_000;
    try {
      const [row] = await withTimeout(
        this.#reader<{ standby: boolean; replayLsn: string | null; receiveLsn: string | null; replayAgeMs: number | null }[]>`
          SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay_lsn, pg_last_wal_receive_lsn()::text AS receive_lsn,
                 (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS replay_age_ms`,
        this.#options.timeoutMs ?? 5000,
      );
      if (!row!.standby) {
        this.#readerState = { healthy: true, standby: false, lagMs: 0 };
        return;
      }
      const primaryLsn = this.#writer
        ? await withTimeout(this.#writer<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`, 1000)
            .then((r) => r[0]!.lsn)
            .catch(() => undefined)
        : undefined;
      const replay = row!.replayLsn;
      let lagMs: number | null;
      if (primaryLsn !== undefined) {
        lagMs = replay !== null && compareLsn(replay, primaryLsn) >= 0 ? 0 : row!.replayAgeMs;
      } else {
        const appliedAllReceived = replay !== null && row!.receiveLsn !== null && compareLsn(replay, row!.receiveLsn) >= 0;
        lagMs = appliedAllReceived ? 0 : row!.replayAgeMs;
      }
      const primaryDown = primaryLsn === undefined;
      this.#readerState = { healthy: primaryDown || (lagMs !== null && lagMs <= maxLag), standby: true, lagMs };
    } catch (error) {
      this.#readerState = { healthy: false, standby: false, lagMs: null, error: (error as Error).message };
    }
  }

  status(): DatabaseStatus {
    return {
      writer: { host: this.#writerHost, generation: this.#writerGeneration },
      highestGeneration: this.#highestGeneration,
      reader: this.#readerHost ? { host: this.#readerHost, ...this.#readerState } : undefined,
      fenced: [...this.#fenced.values()],
    };
  }

  /** Every configured writer host, as this node sees it now (for dr status and /health). */
  async probeHosts(): Promise<HostStatus[]> {
    return Promise.all(this.#hosts.map((url) => this.#probe(url)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#readerTimer) clearInterval(this.#readerTimer);
    await Promise.all([this.#writer?.end({ timeout: 5 }), this.#reader?.end({ timeout: 5 })]);
  }

  #pool(url: string): Sql {
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    return connect(url, {
      max: this.#options.poolSize ?? 10,
      connectTimeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)),
      statementTimeoutMs: timeoutMs,
    });
  }

  /** The writable host with the highest generation becomes the writer. One discovery at a time. */
  #discover(): Promise<Sql> {
    this.#discovering ??= (async () => {
      try {
        const probes = await this.probeHosts();
        const writable = probes.filter((p) => p.role === 'primary');
        for (const p of probes) if (p.generation !== null) this.#highestGeneration = Math.max(this.#highestGeneration, p.generation);
        for (const p of writable) {
          if (p.generation !== null && p.generation < this.#highestGeneration) this.#fence(p.host, p.generation);
        }
        const best = writable
          .filter((p) => p.generation === null || p.generation >= this.#highestGeneration)
          .sort((a, b) => (b.generation ?? 0) - (a.generation ?? 0))[0];
        if (!best) {
          const seen = probes
            .map((p) => {
              const fenced = p.role === 'primary' && p.generation !== null && p.generation < this.#highestGeneration;
              const detail = fenced ? `writable but fenced: cluster generation ${p.generation} is older than ${this.#highestGeneration}` : (p.error ?? '');
              return `${p.host} ${p.role}${detail ? ` (${detail})` : ''}`;
            })
            .join(', ');
          throw new AppError('database-unavailable', `no usable primary among the configured database hosts: ${seen}`);
        }
        if (best.host !== this.#writerHost) {
          const previous = this.#writer;
          this.#writer = this.#pool(this.#hosts.find((url) => hostOf(url) === best.host)!);
          this.#writerHost = best.host;
          this.#options.logger?.info({ host: best.host, generation: best.generation }, 'writing to this primary');
          void previous?.end({ timeout: 1 }).catch(() => undefined);
        }
        this.#writerGeneration = best.generation;
        return this.#writer!;
      } finally {
        this.#discovering = undefined;
      }
    })();
    return this.#discovering;
  }

  async #probe(url: string): Promise<HostStatus> {
    const host = hostOf(url);
    const probe = connect(url, { max: 1, connectTimeoutSeconds: Math.max(1, Math.ceil((this.#options.timeoutMs ?? 5000) / 1000)) });
    try {
      const [role, generation] = await withTimeout(
        Promise.all([probe<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`, readGeneration(probe)]),
        this.#options.timeoutMs ?? 5000,
      );
      return { host, role: role[0]!.standby ? 'standby' : 'primary', generation };
    } catch (error) {
      return { host, role: 'unreachable', generation: null, error: (error as Error).message };
    } finally {
      void probe.end({ timeout: 1 }).catch(() => undefined);
    }
  }

  /** Inside every write: a server whose generation is older than one already seen is fenced. */
  async #checkGeneration(tx: TransactionSql, host: string): Promise<void> {
    const generation = await this.generation(tx);
    if (generation === null) return; // before the migration that creates it
    if (generation < this.#highestGeneration) {
      this.#fence(host, generation);
      if (this.#writerHost === host) this.#dropWriter(); // the next attempt discovers the real primary
      throw new FencedError(host, generation, this.#highestGeneration);
    }
    this.#highestGeneration = generation;
    this.#writerGeneration = generation;
  }

  /** The generation a server holds (checks for the table only until it has been seen once). */
  async generation(q: Sql | TransactionSql): Promise<number | null> {
    const generation = await readGeneration(q, this.#generationTableSeen);
    if (generation !== null) this.#generationTableSeen = true;
    return generation;
  }

  async #observeGeneration(sql: Sql): Promise<void> {
    const generation = await this.generation(sql);
    if (generation !== null) {
      this.#highestGeneration = Math.max(this.#highestGeneration, generation);
      this.#writerGeneration = generation;
    }
  }

  /** Reports a generation read elsewhere (the replica, the sync loop): fencing knows the newest. */
  observeGeneration(generation: number): void {
    this.#highestGeneration = Math.max(this.#highestGeneration, generation);
  }

  #dropWriter(): void {
    const writer = this.#writer;
    this.#writer = undefined;
    this.#writerHost = undefined;
    this.#writerGeneration = null;
    void writer?.end({ timeout: 1 }).catch(() => undefined);
  }

  #fence(host: string, generation: number): void {
    if (!this.#fenced.has(host)) {
      this.#options.logger?.error({ host, generation, highestGeneration: this.#highestGeneration }, 'fenced a writable database with an old cluster generation');
    }
    this.#fenced.set(host, { host, generation, at: new Date().toISOString() });
  }
}

export function hostOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
}

/** Compares two pg_lsn values (`X/Y` hex). */
export function compareLsn(a: string, b: string): number {
  const parse = (lsn: string) => {
    const [hi, lo] = lsn.split('/');
    return BigInt(`0x${hi}`) * 2n ** 32n + BigInt(`0x${lo}`);
  };
  const x = parse(a);
  const y = parse(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
