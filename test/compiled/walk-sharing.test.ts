import { ZenEngine } from '@gorules/zen-engine';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../src/compiled/index.js';

/**
 * The compiled walker shares what evaluations have in common: switch pruning results are cached
 * per combination of decisions, and a lone predecessor's fresh object is handed to its successor
 * instead of copied. Both must stay invisible: one compiled graph, evaluated over contexts that
 * take every branch in turn (and again), answers exactly as zen-engine does for each.
 */
const passThrough = (id: string, name: string, expressions: Record<string, string>) => ({
  id,
  type: 'expressionNode',
  name,
  content: { passThrough: true, inputField: null, outputPath: null, executionMode: 'single', expressions: Object.entries(expressions).map(([key, value], i) => ({ id: `${id}-${i}`, key, value })) },
});

const graph = {
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request' },
    passThrough('prep', 'Prepare', { total: 'price * quantity', 'meta.level': 'level', cleared: 'null' }),
    {
      id: 'route',
      type: 'switchNode',
      name: 'Route',
      content: {
        hitPolicy: 'collect',
        statements: [
          { id: 's-high', condition: 'total > 100' },
          { id: 's-low', condition: 'total <= 100' },
          { id: 's-vip', condition: "level == 'vip'" },
        ],
      },
    },
    passThrough('high', 'High', { band: "'high'", discount: 'total * 0.1' }),
    passThrough('low', 'Low', { band: "'low'", 'meta.note': "'small order'" }),
    passThrough('vip', 'Vip', { vip: 'true', band: "band ?? 'vip'" }),
    passThrough('final', 'Final', { summary: "string(total) + ':' + (band ?? 'none')" }),
    { id: 'out', type: 'outputNode', name: 'Response' },
  ],
  edges: [
    { id: 'e1', sourceId: 'in', targetId: 'prep' },
    { id: 'e2', sourceId: 'prep', targetId: 'route' },
    { id: 'e3', sourceId: 'route', sourceHandle: 's-high', targetId: 'high' },
    { id: 'e4', sourceId: 'route', sourceHandle: 's-low', targetId: 'low' },
    { id: 'e5', sourceId: 'route', sourceHandle: 's-vip', targetId: 'vip' },
    { id: 'e6', sourceId: 'high', targetId: 'final' },
    { id: 'e7', sourceId: 'low', targetId: 'final' },
    { id: 'e8', sourceId: 'vip', targetId: 'out' },
    { id: 'e9', sourceId: 'final', targetId: 'out' },
  ],
};

const contexts = [
  { price: 50, quantity: 3, level: 'vip', meta: { since: 2020 } },
  { price: 5, quantity: 3, level: 'basic', cleared: 'x' },
  { price: 500, quantity: 1, level: 'basic', meta: null },
  { price: 1, quantity: 1, level: 'vip' },
  { price: 0.1, quantity: 3, level: null, meta: { level: 'inner' } },
];

describe('compiled walker sharing across evaluations', () => {
  const engine = new ZenEngine();
  afterAll(() => engine.dispose());

  it('answers every branch combination as zen-engine does, in any order and repeatedly', async () => {
    const compiled = compileGraph(graph, () => undefined);
    if (compiled.kind !== 'compiled') throw new Error(`expected the graph to compile: ${compiled.reasons.join('; ')}`);
    const decision = engine.createDecision(graph);
    const order = [...contexts, ...contexts.slice().reverse(), ...contexts];
    for (const context of order) {
      const expected = (await decision.evaluate(structuredClone(context))).result;
      expect(compiled.evaluate(structuredClone(context)), JSON.stringify(context)).toEqual(expected);
    }
  });

  it('leaves the caller’s context as it was', () => {
    const compiled = compileGraph(graph, () => undefined);
    if (compiled.kind !== 'compiled') throw new Error('expected the graph to compile');
    for (const context of contexts) {
      const copy = structuredClone(context);
      compiled.evaluate(context);
      expect(context).toEqual(copy);
    }
  });
});
