import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { isConnectionOrReadOnlyError } from '../lib/pg-errors.js';
import { connect, type Sql, type TransactionSql } from './connect.js';
import { splitHosts } from './hosts.js';
import { readGeneration } from './generation.js';
import { runClaimed, type IdempotencyContext } from './idempotency.js';

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

export interface TransactionOptions {
  /**
   * The work may run again after a failure in COMMIT itself, whose outcome is unknown (it is
   * idempotent, or protected by an Idempotency-Key). Failures before COMMIT are always retried:
   * nothing was committed.
   */
  readonly idempotent?: boolean;
  /**
   * The Idempotency-Key of the request this write belongs to: the transaction claims it, so a
   * retried request replays this write's stored result instead of doing it again. Pass it on
   * every write of a keyed request.
   */
  readonly idempotency?: IdempotencyContext | undefined;
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
  readonly reader: (ReaderState & { readonly host: string }) | undefined;
  /** Set while two writable servers hold the same, highest generation: no writes until resolved. */
  readonly splitBrain: string | undefined;
  /** Writable servers refused because their generation is older than one already seen. */
  readonly fenced: readonly { readonly host: string; readonly generation: number; readonly at: string }[];
}

export interface ReaderState {
  readonly healthy: boolean;
  readonly standby: boolean;
  /** How far the replica's replay is behind the primary's current WAL position, in time and bytes. */
  readonly lagMs: number | null;
  readonly lagBytes: number | null;
  readonly generation: number | null;
  readonly error?: string;
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

// Short and capped: a promotion takes a few hundred ms to a few seconds, and a write should land
// right after it, not at the end of a long backoff (a failed discovery against a dead host is cheap).
const RETRY_DELAYS_MS = [25, 50, 100, 150, 200, 200, 200, 200, 200, 200];
// ...and bounded in time too: against a host that drops packets every discovery costs a connect
// timeout, and the client (which has its own retries) should hear 503 rather than wait minutes.
const RETRY_BUDGET_MS = 10_000;
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
  #reader: Sql | undefined;
  readonly #readerHost: string | undefined;
  #readerState: ReaderState = { healthy: false, standby: false, lagMs: null, lagBytes: null, generation: null };
  #readerTimer: NodeJS.Timeout | undefined;
  #checkingReader: Promise<void> | undefined;
  #splitBrain: string | undefined;
  #lastDiscoveryError: string | undefined;
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
    if (!this.#writer) {
      throw new AppError('database-unavailable', this.#lastDiscoveryError ? `no primary database reachable now (${this.#lastDiscoveryError}); retry shortly` : 'no primary database found yet; retry shortly');
    }
    return this.#writer;
  }

  /** The writer pool when a primary is known, without throwing (for optional reads from the primary). */
  get writerIfAny(): Sql | undefined {
    return this.#writer;
  }

  /** Where reads go: the local replica while healthy and within VERDICT_MAX_READ_LAG_MS, else the writer. */
  get read(): Sql {
    if (this.#reader && this.#readerState.healthy) return this.#reader;
    if (!this.#writer && !this.#reader) void this.#discover().catch(() => undefined); // ready for the next call
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
    const claim = options.idempotency?.nextClaim(); // one per transaction: every attempt claims the same row
    const idempotent = options.idempotent ?? claim !== undefined;
    const deadlineMs = this.#options.transactionTimeoutMs ?? 30_000;
    const retryUntil = Date.now() + RETRY_BUDGET_MS;
    const mayRetry = (attempt: number) => attempt < RETRY_DELAYS_MS.length && Date.now() < retryUntil && !this.#closed;
    for (let attempt = 0; ; attempt++) {
      let writer: Sql;
      try {
        writer = this.#writer ?? (await this.#discover());
      } catch (error) {
        // No primary right now (a promotion may be under way): wait and look again.
        if (!mayRetry(attempt)) throw error;
        await sleep(RETRY_DELAYS_MS[attempt]!);
        continue;
      }
      const host = this.#writerHost!;
      let committing = false;
      let timedOut = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        this.#dropWriter(writer); // fails the transaction now; the server rolls back what did not commit
      }, deadlineMs);
      try {
        return (await writer.begin(async (tx) => {
          await this.#checkGeneration(tx, host);
          const result = await runClaimed(tx, claim, work);
          committing = true;
          return result;
        })) as T;
      } catch (caught) {
        const error = timedOut
          ? new AppError('database-unavailable', `the primary ${host} did not finish the write within ${deadlineMs} ms${committing ? '; whether it committed is unknown' : ''}`)
          : caught;
        const retriable = timedOut || error instanceof FencedError || isConnectionOrReadOnlyError(error);
        if (!retriable || !mayRetry(attempt)) throw error;
        // A pool whose server refused or dropped us reconnects with a growing backoff (seconds):
        // never reuse it; the next attempt gets a fresh pool for whichever server is primary then.
        this.#dropWriter(writer);
        if (committing && !idempotent) throw error; // the commit may have happened: do not do it twice
        void this.checkReader(); // reads move to the replica now, not at the next periodic check
        this.#options.logger?.warn({ err: error, host, attempt: attempt + 1 }, 'write failed on the primary; finding the primary again');
        await sleep(RETRY_DELAYS_MS[attempt]!);
      } finally {
        clearTimeout(deadline);
      }
    }
  }

  /**
   * Measures the replica: reachable, a standby of the current primary, and how far behind it is.
   * Lag is 0 when it has replayed up to the primary's current position (however long ago the last
   * transaction was). With the primary unreachable the replica is all there is: it stays in use
   * for reads, stale or not (static stability beats failing reads). A replica holding an older
   * cluster generation than one seen follows a superseded primary (or is one): never healthy.
   * One check at a time; a replica that does not answer in time gets a fresh pool.
   */
  checkReader(): Promise<void> {
    if (!this.#reader) return Promise.resolve();
    this.#checkingReader ??= this.#measureReader().finally(() => (this.#checkingReader = undefined));
    return this.#checkingReader;
  }

  async #measureReader(): Promise<void> {
    const reader = this.#reader!;
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    const maxLag = this.#options.maxReadLagMs ?? 10_000;
    try {
      // The primary's position first: a replica measured after it can only look better than it is
      // by what was written in between, never worse.
      // A primary that does not answer in time is slow, not gone: only a failed connection (or
      // none at all) counts as down, which makes the replica usable whatever its lag.
      let primaryLsn: string | undefined;
      let primaryDown = this.#writer === undefined;
      if (this.#writer) {
        try {
          primaryLsn = (await withTimeout(this.#writer<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`, Math.min(timeoutMs, 1000)))[0]!.lsn;
        } catch (error) {
          primaryDown = !(error instanceof DeadlineError);
        }
      }
      const [row, generation] = await withTimeout(
        Promise.all([
          reader<{ standby: boolean; replayLsn: string | null; receiveLsn: string | null; replayAgeMs: number | null }[]>`
            SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay_lsn, pg_last_wal_receive_lsn()::text AS receive_lsn,
                   (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS replay_age_ms`.then((rows) => rows[0]!),
          readGeneration(reader),
        ]),
        timeoutMs,
      );
      if (generation !== null) this.#highestGeneration = Math.max(this.#highestGeneration, generation);
      const outdated = generation !== null && generation < this.#highestGeneration;
      if (!row.standby) {
        if (outdated) {
          this.#fence(this.#readerHost!, generation);
          this.#readerState = { healthy: false, standby: false, lagMs: null, lagBytes: null, generation, error: `fenced: a writable server with cluster generation ${generation}, older than ${this.#highestGeneration}` };
        } else {
          this.#readerState = { healthy: true, standby: false, lagMs: 0, lagBytes: 0, generation };
        }
        return;
      }
      const replay = row.replayLsn;
      let lagMs: number | null;
      let lagBytes: number | null = null;
      if (primaryLsn !== undefined) {
        const behind = replay === null ? null : lsnDiff(primaryLsn, replay);
        lagBytes = behind === null ? null : Math.max(0, behind);
        lagMs = behind !== null && behind <= 0 ? 0 : row.replayAgeMs;
      } else {
        // No primary to compare with: what this replica received but has not replayed yet.
        const behind = replay !== null && row.receiveLsn !== null ? lsnDiff(row.receiveLsn, replay) : null;
        lagBytes = behind === null ? null : Math.max(0, behind);
        lagMs = behind !== null && behind <= 0 ? 0 : row.replayAgeMs;
      }
      if (outdated) {
        this.#readerState = { healthy: false, standby: true, lagMs, lagBytes, generation, error: `follows a superseded primary: cluster generation ${generation}, older than ${this.#highestGeneration}` };
        return;
      }
      this.#readerState = { healthy: primaryDown || (lagMs !== null && lagMs <= maxLag), standby: true, lagMs, lagBytes, generation };
    } catch (error) {
      this.#readerState = { healthy: false, standby: false, lagMs: null, lagBytes: null, generation: null, error: (error as Error).message };
      // A pool that lost its server reconnects with a growing backoff: start afresh instead.
      if (error instanceof DeadlineError || isConnectionOrReadOnlyError(error)) this.#resetReader(reader);
    }
  }

  /**
   * Fresh pools for everything: called when the database stopped answering without closing its
   * connections (a partition), so nothing waits on a socket that will never answer.
   */
  resetPools(): void {
    if (this.#reader) this.#resetReader(this.#reader);
    if (this.#writer) this.#dropWriter(this.#writer);
  }

  #resetReader(stale: Sql): void {
    if (this.#reader !== stale || !this.#options.readerUrl) return;
    this.#reader = this.#pool(this.#options.readerUrl);
    void stale.end({ timeout: 0 }).catch(() => undefined);
  }

  status(): DatabaseStatus {
    return {
      writer: { host: this.#writerHost, generation: this.#writerGeneration },
      highestGeneration: this.#highestGeneration,
      splitBrain: this.#splitBrain,
      reader: this.#readerHost ? { host: this.#readerHost, ...this.#readerState } : undefined,
      fenced: [...this.#fenced.values()],
    };
  }

  /** How many hosts DATABASE_URL lists. */
  get hostCount(): number {
    return this.#hosts.length;
  }

  /** Every configured writer host, as this node sees it now (for dr status and /health). */
  async probeHosts(): Promise<HostStatus[]> {
    return Promise.all(this.#hosts.map((url) => this.#probe(url)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#readerTimer) clearInterval(this.#readerTimer);
    await this.#checkingReader?.catch(() => undefined);
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
        const current = (p: HostStatus) => (p.generation === null ? this.#highestGeneration === 0 : p.generation >= this.#highestGeneration);
        for (const p of writable) if (!current(p)) this.#fence(p.host, p.generation ?? 0);
        const candidates = writable.filter(current);
        if (candidates.length > 1 && this.#highestGeneration > 0) {
          // Two primaries of the same generation: promoted without bumping it, or a bump that
          // never happened. Writing to either could lose the other's writes: refuse both.
          this.#splitBrain = `${candidates.map((p) => p.host).join(' and ')} are both writable with cluster generation ${this.#highestGeneration}`;
          this.#options.logger?.error({ hosts: candidates.map((p) => p.host), generation: this.#highestGeneration }, 'split brain: refusing to write');
          this.#dropWriter(this.#writer);
          throw new AppError('database-unavailable', `split brain: ${this.#splitBrain}; fence one of them (verdict dr promote bumps the generation)`);
        }
        this.#splitBrain = undefined;
        const best = candidates[0];
        if (!best) {
          const seen = probes
            .map((p) => {
              const fenced = p.role === 'primary' && !current(p);
              const detail = fenced ? `writable but fenced: cluster generation ${p.generation ?? 'missing'} is older than ${this.#highestGeneration}` : (p.error ?? '');
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
        } else {
          this.#writer ??= this.#pool(this.#hosts.find((url) => hostOf(url) === best.host)!);
        }
        this.#writerGeneration = best.generation;
        this.#lastDiscoveryError = undefined;
        return this.#writer!;
      } catch (error) {
        this.#lastDiscoveryError = (error as Error).message;
        throw error;
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
    if (generation === null && this.#highestGeneration === 0) return; // before the migration that creates it
    if (generation === null || generation < this.#highestGeneration) {
      // No generation at all where one was seen before is a server that is not this cluster.
      this.#fence(host, generation ?? 0);
      if (this.#writerHost === host) this.#dropWriter(this.#writer); // the next attempt discovers the real primary
      throw new FencedError(host, generation ?? 0, this.#highestGeneration);
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

  /** Forgets the writer pool (only if it is still `stale`), closing its connections at once. */
  #dropWriter(stale: Sql | undefined): void {
    if (!stale || this.#writer !== stale) return;
    this.#writer = undefined;
    this.#writerHost = undefined;
    this.#writerGeneration = null;
    void stale.end({ timeout: 0 }).catch(() => undefined);
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
  const x = lsnValue(a);
  const y = lsnValue(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `a - b` in bytes for two pg_lsn values. */
export function lsnDiff(a: string, b: string): number {
  return Number(lsnValue(a) - lsnValue(b));
}

function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return BigInt(`0x${hi}`) * 2n ** 32n + BigInt(`0x${lo}`);
}

class DeadlineError extends Error {
  override name = 'DeadlineError';
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
