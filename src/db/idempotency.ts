import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError, conflict } from '../errors.js';
import type { Queryable } from './connect.js';

/** The Idempotency-Key of the request being handled, if it sent one to an idempotent route. */
export interface IdempotencyContext {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  /** Set by the first write transaction of the request, which is the one the key protects. */
  consumed: boolean;
  /** That transaction found the key already committed and answered with the stored result. */
  replayed: boolean;
}

/** How long a retry with the same key is answered from the stored result. */
export const KEY_RETENTION = '7 days';

export const idempotencyContext = new AsyncLocalStorage<IdempotencyContext>();

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
 * At the start of a write transaction: claims the request's key. When a request with that key
 * already committed, returns its stored result for the transaction to return instead of working
 * again (the retry after a lost answer). Different request under the same key: 422.
 */
export async function claimKey(q: Queryable, ctx: IdempotencyContext): Promise<{ replay: unknown } | undefined> {
  const claimed = await q`
    INSERT INTO idempotency_keys (scope, key, request_hash) VALUES (${ctx.scope}, ${ctx.key}, ${ctx.requestHash})
    ON CONFLICT (scope, key) DO NOTHING RETURNING key`;
  if (claimed.length === 1) {
    // Keys are kept KEY_RETENTION; one claim in a hundred clears a batch of expired ones.
    if (Math.random() < 0.01) {
      await q`DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM idempotency_keys WHERE created_at < now() - ${KEY_RETENTION}::interval LIMIT 1000))`;
    }
    return undefined;
  }
  const stored = await findStoredAnswer(q, ctx.scope, ctx.key);
  if (!stored) throw conflict('a request with this Idempotency-Key is being processed; retry');
  if (stored.requestHash !== ctx.requestHash) {
    throw new AppError('idempotency-key-reused', 'this Idempotency-Key was already used for a different request');
  }
  return { replay: stored.response };
}

/** Before commit: the answer, kept for retries of the same request. */
export async function storeResult(q: Queryable, ctx: IdempotencyContext, result: unknown): Promise<void> {
  await q`UPDATE idempotency_keys SET response = ${q.json((result ?? null) as never)} WHERE scope = ${ctx.scope} AND key = ${ctx.key}`;
}
