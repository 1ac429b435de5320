import { describe, expect, it } from 'vitest';
import { FencedError } from '../../src/db/fencing.js';
import { isRetriableWriteError, mayRunAgain, outcomeUnknown, RETRY_BUDGET_MS, RETRY_DELAYS_MS, RetryBudget, writeDeadlineError } from '../../src/db/retry.js';

describe('the retry budget of a write', () => {
  it('allows one retry per delay, while time is left', () => {
    const budget = new RetryBudget(1000, [10, 20, 30], 500);
    expect([0, 1, 2].map((attempt) => budget.mayRetry(attempt, 1000))).toEqual([true, true, true]);
    expect(budget.mayRetry(3, 1000)).toBe(false);
  });

  it('counts its time from the first attempt, and ends exactly at the budget', () => {
    const budget = new RetryBudget(1000, [10, 20, 30], 500);
    expect(budget.mayRetry(0, 1499)).toBe(true);
    expect(budget.mayRetry(0, 1500)).toBe(false);
    expect(budget.mayRetry(0, 99_999)).toBe(false);
  });

  it('waits the delay of the failed attempt, the last one beyond the list', () => {
    const budget = new RetryBudget(0, [10, 20, 30]);
    expect([0, 1, 2, 3, 9].map((attempt) => budget.delayMs(attempt))).toEqual([10, 20, 30, 30, 30]);
  });

  it('by default, stops on the time budget before sleeping through every delay', () => {
    const budget = new RetryBudget(0);
    expect(RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)).toBeLessThan(RETRY_BUDGET_MS);
    expect(budget.mayRetry(RETRY_DELAYS_MS.length - 1, 0)).toBe(true);
    expect(budget.mayRetry(RETRY_DELAYS_MS.length, 0)).toBe(false);
    expect(budget.mayRetry(0, RETRY_BUDGET_MS)).toBe(false);
  });
});

describe('what a failed attempt may do', () => {
  it('retries failures of the server, not of the write', () => {
    expect(isRetriableWriteError(new FencedError('a:5432', 1, 2), false)).toBe(true);
    expect(isRetriableWriteError(Object.assign(new Error('read-only'), { code: '25006' }), false)).toBe(true);
    expect(isRetriableWriteError(Object.assign(new Error('gone'), { code: 'ECONNRESET' }), false)).toBe(true);
    expect(isRetriableWriteError(new Error('anything'), true)).toBe(true);
    expect(isRetriableWriteError(Object.assign(new Error('duplicate key'), { code: '23505' }), false)).toBe(false);
  });

  it('runs again after a failure in COMMIT only when running twice is harmless', () => {
    expect(mayRunAgain(false, false)).toBe(true);
    expect(mayRunAgain(true, true)).toBe(true);
    expect(mayRunAgain(true, false)).toBe(false);
  });

  it('says whether an abandoned write may have committed', () => {
    expect(writeDeadlineError('a:5432', 500, false).message).toBe('the primary a:5432 did not finish the write within 500 ms');
    const committing = writeDeadlineError('a:5432', 500, true);
    expect(committing.message).toMatch(/; outcome unknown: it may have been saved; retry with the same Idempotency-Key to learn its outcome/);
    expect(committing.extensions).toEqual({ outcome: 'unknown' });
  });

  it('tells a client whose commit was cut off to retry with the same Idempotency-Key, not just to retry', () => {
    const error = outcomeUnknown('a:5432', Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }));
    expect(error.code).toBe('database-unavailable');
    expect(error.message).toBe(
      'the connection to the primary a:5432 failed while the write was committing (CONNECTION_CLOSED); outcome unknown: it may have been saved; retry with the same Idempotency-Key to learn its outcome (without one, check whether it was saved before writing again)',
    );
  });
});
