import { ZenEngine } from '@gorules/zen-engine';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph, EngineWouldCrash } from '../../src/compiled/index.js';
import { expressionGraph as graphOf } from '../helpers/graphs.js';

/**
 * Corners of the engine that generated cases did not reach (found by a review of the compiler):
 * integers between 2^63 and 2^64, and a sub-decision whose leaf hands on the caller's data.
 */
const expressionGraph = (value: string) => graphOf({ k: value });

/** A child with a second leaf besides its output node: `leaf` (a switch with no edge out, or a table). */
const child = (leaf: 'switch' | 'table') => ({
  nodes: [
    { id: 'i', type: 'inputNode', name: 'Request' },
    leaf === 'switch'
      ? { id: 's', type: 'switchNode', name: 'Check', content: { hitPolicy: 'first', statements: [{ id: 's1', condition: '' }] } }
      : { id: 's', type: 'expressionNode', name: 'Check', content: { expressions: [{ id: 'c', key: 'checked', value: 'true' }] } },
    { id: 'o', type: 'outputNode', name: 'Response' },
  ],
  edges: [
    { id: 'e1', sourceId: 'i', targetId: 's' },
    { id: 'e2', sourceId: 'i', targetId: 'o' },
  ],
});

const parent = {
  nodes: [
    { id: 'i', type: 'inputNode', name: 'Request' },
    { id: 'x', type: 'expressionNode', name: 'Prepare', content: { expressions: [{ id: 'x1', key: 'tier', value: "'gold'" }] } },
    { id: 'd', type: 'decisionNode', name: 'Sub', content: { key: 'child' } },
    { id: 'o', type: 'outputNode', name: 'Response' },
  ],
  edges: [
    { id: 'e1', sourceId: 'i', targetId: 'x' },
    { id: 'e2', sourceId: 'x', targetId: 'd' },
    { id: 'e3', sourceId: 'i', targetId: 'o' },
  ],
};

describe('compiled evaluation at the engine’s corners', () => {
  const engine = new ZenEngine();
  afterAll(() => engine.dispose());

  it('answers integers past i64 as the engine does: their digits, as a string', async () => {
    for (const [expression, context] of [
      ['x', { x: 1e19 }],
      ['x', { x: 9.3e18 }],
      ['x', { x: 9.2e18 }],
      ['9223372036854775808', {}],
      ['9223372036854775807', {}],
      ['-9223372036854775808', {}],
      ['18446744073709551615', {}],
      ['x * 2', { x: 5e18 }],
      ['x * 2', { x: 4e18 }],
    ] as const) {
      const compiled = compileGraph(expressionGraph(expression), () => undefined);
      if (compiled.kind !== 'compiled') throw new Error(`${expression} should compile`);
      const expected = (await engine.createDecision(expressionGraph(expression)).evaluate(context)).result;
      expect(compiled.evaluate(context), `${expression} with ${JSON.stringify(context)}`).toEqual(expected);
    }
    expect(typeof (compileGraph(expressionGraph('x * 2'), () => undefined) as { evaluate(c: unknown): { k: unknown } }).evaluate({ x: 5e18 }).k).toBe('string');
  });

  it('predicts, rather than runs, the integers the engine aborts on', () => {
    // zen-engine aborts the whole process on these ("failed to initiate panic"): never run here.
    for (const [expression, context] of [
      ['x * 2', { x: 1e19 }],
      ['0 - x', { x: 9.3e18 }],
    ] as const) {
      const compiled = compileGraph(expressionGraph(expression), () => undefined);
      if (compiled.kind !== 'compiled') throw new Error(`${expression} should compile`);
      expect(() => compiled.evaluate(context)).toThrow(EngineWouldCrash);
    }
  });

  it('leaves to the engine a sub-decision whose leaf hands on the caller’s data', async () => {
    const refused = compileGraph(parent, () => child('switch'));
    expect(refused.kind).toBe('unsupported');
    expect(refused.kind === 'unsupported' && refused.reasons.join('; ')).toMatch(/node "Check" ends a path and hands on its input/);
    // Why: the engine writes the child's `$nodes` into the caller's, changing the caller's context.
    const zen = new ZenEngine({ loader: async () => Buffer.from(JSON.stringify(child('switch'))) });
    try {
      expect((await zen.createDecision(parent).evaluate({ tier: 'basic', amount: 10 })).result).toEqual({ tier: 'gold', amount: 10 });
    } finally {
      zen.dispose();
    }
    // A second leaf that answers its own object is fine, same node names and all.
    const compiled = compileGraph(parent, () => child('table'));
    if (compiled.kind !== 'compiled') throw new Error(`expected it to compile: ${compiled.reasons.join('; ')}`);
    const fine = new ZenEngine({ loader: async () => Buffer.from(JSON.stringify(child('table'))) });
    try {
      const context = { tier: 'basic', amount: 10 };
      expect(compiled.evaluate(context)).toEqual((await fine.createDecision(parent).evaluate(context)).result);
    } finally {
      fine.dispose();
    }
  });
});
