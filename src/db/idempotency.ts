import { AppError, conflict } from '../errors.js';
import type { Queryable } from './connect.js';

/** One write transaction's hold on an idempotency row. */
export interface IdempotencyClaim {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  /** Told when the write was answered from the stored result instead of done. */
  readonly onReplay?: () => void;
}

/**
 * The Idempotency-Key of a request to an idempotent route. The HTTP layer makes one per request
 * and the request's services hand it to every write transaction (`db.transaction(work,
 * { idempotency })`). Each transaction claims a row of its own, numbered in the order the request
 * runs them: the first is the key itself (the row DR drills look for), the n-th `key#n` (`#`
 * never occurs in a client's key). A retried request runs the same transactions in the same order,
 * so each one either replays its stored result or, if it never committed, does its work once.
 */
export class IdempotencyContext {
  #writes = 0;
  #replayed = false;

  constructor(
    readonly scope: string,
    readonly key: string,
    readonly requestHash: string,
  ) {}

  /** A write of this request found its work already committed and answered with the stored result. */
  get replayed(): boolean {
    return this.#replayed;
  }

  /** The claim for the request's next write transaction; taken once per transaction, not per attempt. */
  nextClaim(): IdempotencyClaim {
    this.#writes++;
    return { scope: this.scope, key: claimKeyFor(this.key, this.#writes), requestHash: this.requestHash, onReplay: () => (this.#replayed = true) };
  }
}

/** The row key of a request's `write`-th transaction (1-based). */
export function claimKeyFor(key: string, write: number): string {
  return write === 1 ? key : `${key}#${write}`;
}

/** How long a retry with the same key is answered from the stored result. */
export const KEY_RETENTION = '7 days';

export interface StoredAnswer {
  readonly requestHash: string;
  readonly status: number | null;
  readonly response: unknown;
}

export async function findStoredAnswer(q: Queryable, scope: string, key: string): Promise<StoredAnswer | undefined> {
  const [row] = await q<StoredAnswer[]>`SELECT request_hash, status, response FROM idempotency_keys WHERE scope = ${scope} AND key = ${key}`;
  return row;
}

/**
 * At the start of a write transaction: claims the key. When a request with that key already
 * committed this write, returns its stored result for the transaction to return instead of working
 * again (the retry after a lost answer). Different request under the same key: 422.
 */
export async function claimKey(q: Queryable, claim: IdempotencyClaim): Promise<{ replay: unknown } | undefined> {
  const claimed = await q`
    INSERT INTO idempotency_keys (scope, key, request_hash) VALUES (${claim.scope}, ${claim.key}, ${claim.requestHash})
    ON CONFLICT (scope, key) DO NOTHING RETURNING key`;
  if (claimed.length === 1) {
    // Keys are kept KEY_RETENTION; one claim in a hundred clears a batch of expired ones.
    if (Math.random() < 0.01) {
      await q`DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM idempotency_keys WHERE created_at < now() - ${KEY_RETENTION}::interval LIMIT 1000))`;
    }
    return undefined;
  }
  const stored = await findStoredAnswer(q, claim.scope, claim.key);
  if (!stored) throw conflict('a request with this Idempotency-Key is being processed; retry');
  if (stored.requestHash !== claim.requestHash) {
    throw new AppError('idempotency-key-reused', 'this Idempotency-Key was already used for a different request');
  }
  return { replay: stored.response };
}

/** Before commit: the answer, kept for retries of the same request. */
export async function storeResult(q: Queryable, claim: IdempotencyClaim, result: unknown): Promise<void> {
  await q`UPDATE idempotency_keys SET response = ${q.json((result ?? null) as never)} WHERE scope = ${claim.scope} AND key = ${claim.key}`;
}

/**
 * Runs `work` inside the caller's transaction at most once per claim: the claim, the work and its
 * stored result commit together, so a transaction either did all three or none.
 */
export async function runClaimed<T, Q extends Queryable>(tx: Q, claim: IdempotencyClaim | undefined, work: (tx: Q) => Promise<T>): Promise<T> {
  if (!claim) return work(tx);
  const stored = await claimKey(tx, claim);
  if (stored) {
    claim.onReplay?.();
    return stored.replay as T;
  }
  const result = await work(tx);
  await storeResult(tx, claim, result);
  return result;
}
