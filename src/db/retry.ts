import { AppError } from '../errors.js';
import { isConnectionOrReadOnlyError } from '../lib/pg-errors.js';
import { FencedError } from './fencing.js';

// Short and capped: a promotion takes a few hundred ms to a few seconds, and a write should land
// right after it, not at the end of a long backoff (a failed discovery against a dead host is cheap).
export const RETRY_DELAYS_MS: readonly number[] = [25, 50, 100, 150, 200, 200, 200, 200, 200, 200];
// ...and bounded in time too: against a host that drops packets every discovery costs a connect
// timeout, and the client (which has its own retries) should hear 503 rather than wait minutes.
export const RETRY_BUDGET_MS = 10_000;
/** A primary that stops answering without closing its connections must not hold a write longer. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * How often and for how long one write is retried: at most one attempt per delay, and no new
 * attempt once the budget, counted from the first attempt, is spent.
 */
export class RetryBudget {
  readonly #retryUntil: number;

  constructor(
    startedAt: number,
    private readonly delaysMs: readonly number[] = RETRY_DELAYS_MS,
    budgetMs: number = RETRY_BUDGET_MS,
  ) {
    this.#retryUntil = startedAt + budgetMs;
  }

  /** Whether attempt `attempt` (0-based), which just failed, may be followed by another at `now`. */
  mayRetry(attempt: number, now: number): boolean {
    return attempt < this.delaysMs.length && now < this.#retryUntil;
  }

  /** How long to wait after attempt `attempt` failed. */
  delayMs(attempt: number): number {
    return this.delaysMs[Math.min(attempt, this.delaysMs.length - 1)]!;
  }
}

/**
 * Failures that say "this server, now" rather than "this write": a lost or read-only connection,
 * a fenced server, a primary that did not finish in time. Anything else (a constraint, a 4xx from
 * the work) would fail again anywhere.
 */
export function isRetriableWriteError(error: unknown, timedOut: boolean): boolean {
  return timedOut || error instanceof FencedError || isConnectionOrReadOnlyError(error);
}

/**
 * Whether a failed attempt may run again: always if it failed before COMMIT (nothing was
 * committed), after a failure in COMMIT only if running it twice is harmless.
 */
export function mayRunAgain(committing: boolean, idempotent: boolean): boolean {
  return !committing || idempotent;
}

const UNKNOWN_OUTCOME_ADVICE = 'retry with the same Idempotency-Key to learn its outcome (without one, check whether it was saved before writing again)';

/** What a write abandoned at its deadline answers (503). */
export function writeDeadlineError(host: string, deadlineMs: number, committing: boolean): AppError {
  return new AppError(
    'database-unavailable',
    `the primary ${host} did not finish the write within ${deadlineMs} ms${committing ? `; outcome unknown: it may have been saved; ${UNKNOWN_OUTCOME_ADVICE}` : ''}`,
    committing ? { outcome: 'unknown' } : {},
  );
}

/**
 * What a write answers (503) when the connection to the primary failed during COMMIT and it may
 * not run again: the server may have committed it (measured under Patroni: writes committed on
 * every member while their client heard "connection closed").
 */
export function outcomeUnknown(host: string, cause: unknown): AppError {
  const reason = (cause as { code?: unknown; message?: unknown } | null)?.code ?? (cause as Error | null)?.message ?? 'connection lost';
  return new AppError('database-unavailable', `the connection to the primary ${host} failed while the write was committing (${String(reason)}); outcome unknown: it may have been saved; ${UNKNOWN_OUTCOME_ADVICE}`, {
    outcome: 'unknown',
  });
}
