import { describe, expect, it } from 'vitest';
import { CacheBudget, LiveStates, type GraphShape } from '../../src/compiled/graph/live-state.js';

/** A switch (node 0) with three branches (handles a, b, c) to nodes 1-3. */
const shape: GraphShape = {
  edges: [
    { source: 0, target: 1, handle: 'a' },
    { source: 0, target: 2, handle: 'b' },
    { source: 0, target: 3, handle: 'c' },
  ],
  outEdges: [[2, 1, 0], [], [], []],
  inEdges: [[], [0], [1], [2]],
  outDegree: [3, 0, 0, 0],
  inDegree: [0, 1, 1, 1],
};

describe('switch-state cache budget', () => {
  it('caches states while the shared budget lasts, then computes them per evaluation, alike', () => {
    // A state of this shape costs 3 * 4 nodes + 3 edges + 1 = 16 numbers, plus 1 for a short key.
    const budget = new CacheBudget(40);
    const states = new LiveStates(shape, budget);
    const a = states.afterSwitch(states.initial, 0, ['a']);
    const b = states.afterSwitch(states.initial, 0, ['b']);
    expect(states.afterSwitch(states.initial, 0, ['a'])).toBe(a); // cached
    expect(states.afterSwitch(states.initial, 0, ['b'])).toBe(b);
    expect(budget.used).toBe(34);
    const c = states.afterSwitch(states.initial, 0, ['c']);
    const again = states.afterSwitch(states.initial, 0, ['c']);
    expect(again).not.toBe(c); // past the budget: not kept...
    expect(again.nodeAlive).toEqual(c.nodeAlive); // ...and the same answer
    expect(c.nodeAlive).toEqual([1, 0, 0, 1]);
    expect(a.nodeAlive).toEqual([1, 1, 0, 0]);
    // Another graph drawing on the same budget caches nothing more.
    const other = new LiveStates(shape, budget);
    expect(other.afterSwitch(other.initial, 0, ['a'])).not.toBe(other.afterSwitch(other.initial, 0, ['a']));
    expect(budget.used).toBeLessThanOrEqual(budget.limit);
  });
});
