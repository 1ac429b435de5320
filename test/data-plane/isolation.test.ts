import { describe, expect, it } from 'vitest';
import { CHECK_LABEL_PREFIX, Isolation } from '../../src/data-plane/engine/isolation.js';

/**
 * A compiled decision's load-time check runs it on zen-engine under a release-only label; when a
 * tenant's request trips the same decision, operators should read the project and environment.
 */
describe('isolated decisions', () => {
  it('names a decision by a tenant request once one trips it, even if a load-time check did first', () => {
    const isolation = new Isolation(60_000);
    expect(isolation.add('rel:1', 'spin', `${CHECK_LABEL_PREFIX}spin@v1`, 'timeout')).toBe(true);
    expect(isolation.list().map((e) => e.decision)).toEqual(['check spin@v1']);
    expect(isolation.add('rel:1', 'spin', 'hostile/prod/spin@v1', 'slow')).toBe(false);
    expect(isolation.list()).toEqual([expect.objectContaining({ decision: 'hostile/prod/spin@v1', reason: 'timeout' })]);
    // A later check does not take the name back.
    isolation.add('rel:1', 'spin', `${CHECK_LABEL_PREFIX}spin@v1`, 'timeout');
    expect(isolation.list().map((e) => e.decision)).toEqual(['hostile/prod/spin@v1']);
    expect(isolation.has('rel:1', 'spin')).toBe(true);
    expect(isolation.has('rel:1', 'other')).toBe(false);
  });
});
