import { describe, expect, it } from 'vitest';
import { compileGraph, NotSure } from '../../src/compiled/index.js';
import { expressionGraph } from '../helpers/graphs.js';

/**
 * A compiled evaluation runs on the request's thread, so its work is bounded: past the budget it
 * hands over to zen-engine (NotSure), whose hosts have deadlines. Without the bound this graph
 * would hold the event loop for billions of steps.
 */
describe('compiled evaluation work budget', () => {
  const spin = compileGraph(expressionGraph({ n: 'count(map([0..size], #), count(map([0..size], #), true) > 0)' }), () => undefined);

  it('answers small inputs itself and hands runaway ones to zen-engine', () => {
    if (spin.kind !== 'compiled') throw new Error(`expected the graph to compile: ${spin.reasons.join('; ')}`);
    expect(spin.evaluate({ size: 10 })).toEqual({ n: 11 });
    expect(() => spin.evaluate({ size: 50_000 })).toThrow(NotSure);
    // The budget is per evaluation: the next small one is answered again.
    expect(spin.evaluate({ size: 3 })).toEqual({ n: 4 });
  });
});
