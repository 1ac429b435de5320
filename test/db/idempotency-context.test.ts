import { describe, expect, it } from 'vitest';
import { claimKeyFor, IdempotencyContext } from '../../src/db/idempotency.js';

describe('idempotency claims', () => {
  it('number the writes of one request, the first under the client key itself', () => {
    const context = new IdempotencyContext('scope', 'k-1', 'hash');
    expect([1, 2, 3].map(() => context.nextClaim().key)).toEqual(['k-1', 'k-1#2', 'k-1#3']);
    expect(claimKeyFor('k', 10)).toBe('k#10');
  });

  it('are replayed when any write was answered from its stored result', () => {
    const context = new IdempotencyContext('scope', 'k-1', 'hash');
    const claim = context.nextClaim();
    expect(context.replayed).toBe(false);
    claim.onReplay?.();
    expect(context.replayed).toBe(true);
  });
});
