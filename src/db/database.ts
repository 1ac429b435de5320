import type { Logger } from 'pino';
import { connect, type Sql, type TransactionSql } from './connect.js';
import { GenerationFence, type FencedHost } from './fencing.js';
import { GenerationReader } from './generation.js';
import { splitHosts } from './hosts.js';
import type { HostStatus } from './primary-discovery.js';
import type { ReaderState } from './replica-lag.js';
import { ReplicaReader } from './replica.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS } from './retry.js';
import { runWriteTransaction, type TransactionOptions } from './write-transaction.js';
import { PrimaryWriter } from './writer.js';

// Kept where callers have always imported them from.
export { compareLsn, lsnDiff } from './lsn.js';
export { FencedError } from './fencing.js';
export { hostOf, type HostStatus } from './primary-discovery.js';
export type { ReaderState } from './replica-lag.js';
export type { TransactionOptions } from './write-transaction.js';

export interface DatabaseOptions {
  /** DATABASE_URL: one or several hosts (`postgres://u@h1:5432,h2:5432/db`). */
  readonly writerUrl: string;
  /** DATABASE_READ_URL: the local replica, if any. */
  readonly readerUrl?: string | undefined;
  /** Reads fall back to the writer when the replica is further behind than this. */
  readonly maxReadLagMs?: number;
  /** Connect timeout and server-side statement timeout. */
  readonly timeoutMs?: number;
  /**
   * A write transaction that has not finished by then is abandoned: its connections are dropped
   * (the server rolls back what did not commit) and the primary is looked for again. A primary
   * that stops answering without closing its connections must not hold requests forever.
   */
  readonly transactionTimeoutMs?: number;
  readonly logger?: Logger | undefined;
  readonly poolSize?: number;
}

export interface DatabaseStatus {
  readonly writer: { readonly host: string | undefined; readonly generation: number | null };
  readonly highestGeneration: number;
  readonly reader: (ReaderState & { readonly host: string }) | undefined;
  /** Set while two writable servers hold the same, highest generation: no writes until resolved. */
  readonly splitBrain: string | undefined;
  /** Writable servers refused because their generation is older than one already seen. */
  readonly fenced: readonly FencedHost[];
}

const READER_CHECK_MS = 250;

/**
 * The application's handle on PostgreSQL. Writes go through `transaction`, the one place where
 * write-path policy lives: it finds the primary among the configured hosts (the writable one with
 * the highest cluster generation, `primary-discovery`), refuses a server whose generation is older
 * than one already seen (`fencing`), and after a primary is lost re-discovers it and retries what
 * is safe to retry (`retry`, `write-transaction`). Reads use the local replica while it is healthy
 * and close enough to the primary (`replica-lag`), else the writer.
 */
export class Database {
  readonly #hosts: readonly string[];
  readonly #fence: GenerationFence;
  readonly #generations = new GenerationReader();
  readonly #writer: PrimaryWriter;
  readonly #reader: ReplicaReader | undefined;
  readonly #deadlineMs: number;
  readonly #logger: Logger | undefined;
  #closed = false;
  #lastLostAt = 0;

  constructor(options: DatabaseOptions) {
    const timeoutMs = options.timeoutMs ?? 5000;
    const pool = (url: string): Sql =>
      connect(url, { max: options.poolSize ?? 10, connectTimeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)), statementTimeoutMs: timeoutMs });
    this.#hosts = splitHosts(options.writerUrl);
    this.#logger = options.logger;
    this.#deadlineMs = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
    this.#fence = new GenerationFence(options.logger);
    this.#writer = new PrimaryWriter({ hosts: this.#hosts, pool, probeTimeoutMs: timeoutMs, fence: this.#fence, generations: this.#generations, logger: options.logger });
    this.#reader = options.readerUrl
      ? new ReplicaReader({
          url: options.readerUrl,
          pool,
          timeoutMs,
          maxLagMs: options.maxReadLagMs ?? 10_000,
          checkEveryMs: READER_CHECK_MS,
          fence: this.#fence,
          primary: () => this.#writer.pool,
        })
      : undefined;
  }

  /** The writer pool (the primary). Prefer `transaction` for writes: it fences and retries. */
  get sql(): Sql {
    return this.#writer.require();
  }

  /** The writer pool when a primary is known, without throwing (for optional reads from the primary). */
  get writerIfAny(): Sql | undefined {
    return this.#writer.pool;
  }

  /** Where reads go: the local replica while healthy and within VERDICT_MAX_READ_LAG_MS, else the writer. */
  get read(): Sql {
    if (this.#reader?.state.healthy) return this.#reader.pool;
    if (!this.#writer.pool && !this.#reader) void this.#writer.discover().catch(() => undefined); // ready for the next call
    return this.#writer.pool ?? this.#reader?.pool ?? this.sql;
  }

  /** Connects: finds the primary when several hosts are configured, and checks the replica once. */
  async open(): Promise<void> {
    if (this.#hosts.length > 1) await this.#writer.discover();
    else await this.#writer.observeOwnGeneration();
    await this.#reader?.check();
  }

  /**
   * Runs `work` in a write transaction on the primary, fenced and retried. A write of a request
   * that sent an Idempotency-Key passes it as `{ idempotency }` (see `TransactionOptions`).
   */
  transaction<T>(work: (tx: TransactionSql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return runWriteTransaction(
      {
        writer: this.#writer,
        deadlineMs: this.#deadlineMs,
        closed: () => this.#closed,
        primaryLost: () => void this.checkReader(),
        logger: this.#logger,
      },
      work,
      options,
    );
  }

  /**
   * Measures the replica: reachable, a standby of the current primary, and how far behind it is
   * (see `assessReplica`). One check at a time.
   */
  checkReader(): Promise<void> {
    return this.#reader?.check() ?? Promise.resolve();
  }

  /**
   * Something (a read, an API-token lookup) failed on a lost connection or a read-only server: a
   * failover may be under way. Look for the primary now, as a failed write does, rather than keep
   * a pool whose server is gone until the next write (measured under Patroni: requests failed and
   * then stalled for seconds on the token lookup alone). At most once per 250 ms.
   */
  connectionLost(): void {
    const now = Date.now();
    if (this.#closed || now - this.#lastLostAt < 250) return;
    this.#lastLostAt = now;
    this.#logger?.warn('a database connection was lost or a server is read-only: looking for the primary again');
    void this.checkReader().catch(() => undefined);
    void this.#writer.rediscover();
  }

  /**
   * Fresh pools for everything: called when the database stopped answering without closing its
   * connections (a partition), so nothing waits on a socket that will never answer.
   */
  resetPools(): void {
    this.#reader?.reset();
    this.#writer.drop(this.#writer.pool);
  }

  status(): DatabaseStatus {
    return {
      writer: { host: this.#writer.host, generation: this.#writer.generation },
      highestGeneration: this.#fence.highest,
      splitBrain: this.#writer.splitBrain,
      reader: this.#reader ? { host: this.#reader.host, ...this.#reader.state } : undefined,
      fenced: this.#fence.fenced,
    };
  }

  /** How many hosts DATABASE_URL lists. */
  get hostCount(): number {
    return this.#hosts.length;
  }

  /** Every configured writer host, as this node sees it now (for dr status, /health, the regions view). */
  probeHosts(timeoutMs?: number): Promise<HostStatus[]> {
    return this.#writer.probeHosts(timeoutMs);
  }

  /** The generation a server holds (checks for the table only until it has been seen once). */
  generation(q: Sql | TransactionSql): Promise<number | null> {
    return this.#generations.read(q);
  }

  /** Reports a generation read elsewhere (the replica, the sync loop): fencing knows the newest. */
  observeGeneration(generation: number): void {
    this.#fence.observe(generation);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#reader?.stop();
    await Promise.all([this.#writer.close(), this.#reader?.close()]);
  }
}
