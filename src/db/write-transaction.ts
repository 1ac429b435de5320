import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Sql, TransactionSql } from './connect.js';
import { runClaimed, type IdempotencyContext } from './idempotency.js';
import { isRetriableWriteError, mayRunAgain, outcomeUnknown, RetryBudget, writeDeadlineError } from './retry.js';
import type { PrimaryWriter } from './writer.js';

export interface TransactionOptions {
  /**
   * The work may run again after a failure in COMMIT itself, whose outcome is unknown (it is
   * idempotent, or protected by an Idempotency-Key). Failures before COMMIT are always retried:
   * nothing was committed. Defaults to whether `idempotency` is given.
   */
  readonly idempotent?: boolean;
  /**
   * The Idempotency-Key of the request this write belongs to: the transaction claims it, so a
   * retried request replays this write's stored result instead of doing it again. Pass it on
   * every write of a keyed request.
   */
  readonly idempotency?: IdempotencyContext | undefined;
}

export interface WriteTransactionDeps {
  readonly writer: PrimaryWriter;
  /** A write not finished by then is abandoned: its connections are dropped, the server rolls back. */
  readonly deadlineMs: number;
  /** The database is closing: no more attempts. */
  readonly closed: () => boolean;
  /** The primary was just lost: reads should move to the replica now, not at the next check. */
  readonly primaryLost: () => void;
  readonly logger?: Logger | undefined;
}

/**
 * Runs `work` in a write transaction on the primary: each attempt checks the server's generation
 * (fencing) inside the transaction, and an attempt that failed because of the server (see
 * `isRetriableWriteError`) is retried on whichever server is primary then, within the retry
 * budget, unless it failed in COMMIT and may not run twice.
 */
export async function runWriteTransaction<T>(deps: WriteTransactionDeps, work: (tx: TransactionSql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const { writer, deadlineMs } = deps;
  const claim = options.idempotency?.nextClaim(); // one per transaction: every attempt claims the same row
  const idempotent = options.idempotent ?? claim !== undefined;
  const budget = new RetryBudget(Date.now());
  const mayRetry = (attempt: number) => budget.mayRetry(attempt, Date.now()) && !deps.closed();
  for (let attempt = 0; ; attempt++) {
    let pool: Sql;
    try {
      pool = writer.pool ?? (await writer.discover());
    } catch (error) {
      // No primary right now (a promotion may be under way): wait and look again.
      if (!mayRetry(attempt)) throw error;
      await sleep(budget.delayMs(attempt));
      continue;
    }
    const host = writer.host!;
    let committing = false;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      writer.drop(pool); // fails the transaction now; the server rolls back what did not commit
    }, deadlineMs);
    try {
      return (await pool.begin(async (tx) => {
        await writer.checkGeneration(tx, host);
        const result = await runClaimed(tx, claim, work);
        committing = true;
        return result;
      })) as T;
    } catch (caught) {
      const error = timedOut ? writeDeadlineError(host, deadlineMs, committing) : caught;
      if (!isRetriableWriteError(error, timedOut)) throw error;
      if (!mayRetry(attempt)) throw committing && !timedOut ? outcomeUnknown(host, error) : error;
      // A pool whose server refused or dropped us reconnects with a growing backoff (seconds):
      // never reuse it; the next attempt gets a fresh pool for whichever server is primary then.
      writer.drop(pool);
      // The commit may have happened: do not do it twice, and say so (a plain "retry" would
      // invite a second write; with the same Idempotency-Key a retry answers the first one's outcome).
      if (!mayRunAgain(committing, idempotent)) throw outcomeUnknown(host, error);
      deps.primaryLost();
      deps.logger?.warn({ err: error, host, attempt: attempt + 1 }, 'write failed on the primary; finding the primary again');
      await sleep(budget.delayMs(attempt));
    } finally {
      clearTimeout(deadline);
    }
  }
}
