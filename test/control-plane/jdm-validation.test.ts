import { afterAll, describe, expect, it } from 'vitest';
import { validateJdm as validateWith, describe as describeProblem } from '../../src/control-plane/decisions/validate.js';
import type { JdmDocument } from '../../src/lib/jdm.js';
import { corpusFiles, readCorpus } from '../helpers/corpus.js';
import { startTestEngine } from '../helpers/engine.js';

const engine = startTestEngine();
afterAll(() => engine.close());
const validateJdm = (doc: JdmDocument) => validateWith(doc, engine);

function graph(nodes: any[], edges: any[] = []): JdmDocument {
  return { nodes, edges } as JdmDocument;
}

const input = { id: 'in', type: 'inputNode', name: 'Request' };
const output = { id: 'out', type: 'outputNode', name: 'Response' };
const link = (from: string, to: string, extra: object = {}) => ({ id: `${from}-${to}`, sourceId: from, targetId: to, ...extra });

function table(rules: Record<string, string>[], extra: object = {}) {
  return {
    id: 'tbl',
    type: 'decisionTableNode',
    name: 'Discounts',
    content: {
      hitPolicy: 'first',
      inputs: [{ id: 'c-tier', name: 'Customer tier', field: 'tier' }],
      outputs: [{ id: 'c-discount', name: 'Discount', field: 'discount' }],
      rules,
      ...extra,
    },
  };
}

describe('JDM validation', () => {
  it.each(corpusFiles('graphs'))('accepts corpus graph %s', async (file) => {
    const problems = await validateJdm(readCorpus('graphs', file));
    expect(problems.map(describeProblem)).toEqual([]);
  });

  it.each(corpusFiles('engine-cases').filter((f) => f.startsWith('error-')))('rejects engine case %s', async (file) => {
    expect((await validateJdm(readCorpus('engine-cases', file))).length).toBeGreaterThan(0);
  });

  it('names both nodes of a cycle', async () => {
    const [problem] = await validateJdm(readCorpus('engine-cases', 'error-cyclic.json'));
    expect(problem!.message).toMatch(/cycle: 'expressionNode 1' -> 'expressionNode 2' -> 'expressionNode 1'/);
    expect(problem!.nodeId).toBe('138b3b11-ff46-450f-9704-3f3c712067b2');
  });

  it('requires exactly one input node', async () => {
    expect((await validateJdm(readCorpus('engine-cases', 'error-missing-input.json')))[0]!.message).toMatch(/no input node/);
    const two = graph([input, { ...input, id: 'in2', name: 'Other' }, output], [link('in', 'out'), link('in2', 'out')]);
    expect((await validateJdm(two))[0]!.message).toMatch(/2 input nodes \('Request', 'Other'\)/);
  });

  it('names the node, rule and column of a table cell that does not compile', async () => {
    const doc = graph([input, table([{ _id: 'r1', 'c-tier': '"gold"', 'c-discount': '0.1' }, { _id: 'r2', 'c-tier': '>= ', 'c-discount': '0' }]), output], [
      link('in', 'tbl'),
      link('tbl', 'out'),
    ]);
    const problems = await validateJdm(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ nodeId: 'tbl', nodeName: 'Discounts', rule: 2, ruleId: 'r2', column: 'Customer tier', columnId: 'c-tier' });
    expect(describeProblem(problems[0]!)).toMatch(/^node 'Discounts' \(id tbl\), rule 2, column 'Customer tier': cell ">= " does not compile/);
  });

  it('checks output cells as full expressions and requires output fields', async () => {
    const bad = table([{ _id: 'r1', 'c-tier': '', 'c-discount': 'sum((1' }]);
    bad.content.outputs.push({ id: 'c-nofield', name: 'Nowhere', field: '' });
    const problems = await validateJdm(graph([input, bad, output], [link('in', 'tbl'), link('tbl', 'out')]));
    expect(problems.map((p) => p.column)).toEqual(['Nowhere', 'Discount']);
  });

  it('accepts runtime-only failures (null arithmetic) but not syntax errors in expression nodes', async () => {
    const expression = (value: string) => ({
      id: 'ex',
      type: 'expressionNode',
      name: 'Totals',
      content: { expressions: [{ id: 'e1', key: 'total', value }] },
    });
    expect((await validateJdm(graph([input, expression('price * quantity'), output], [link('in', 'ex'), link('ex', 'out')])))).toEqual([]);
    const [problem] = await validateJdm(graph([input, expression('price * (quantity'), output], [link('in', 'ex'), link('ex', 'out')]));
    expect(problem).toMatchObject({ nodeName: 'Totals', itemId: 'e1', expression: 'price * (quantity' });
    expect(problem!.message).toMatch(/expression 'total' does not compile/);
  });

  it('checks switch conditions and the branches edges leave from', async () => {
    const sw = {
      id: 'sw',
      type: 'switchNode',
      name: 'Route',
      content: { statements: [{ id: 's1', condition: 'amount > ' }, { id: 's2', condition: '' }] },
    };
    const problems = await validateJdm(graph([input, sw, output], [link('in', 'sw'), link('sw', 'out', { sourceHandle: 'nope' })]));
    // Graph problems come first; compile errors are reported once every expression is compiled.
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/switch branch 'nope', which the switch does not have/),
      expect.stringMatching(/condition of branch 1 does not compile/),
    ]);
  });

  it('parses function sources: legacy scripts and ES modules', async () => {
    const fn = (content: unknown) => graph([input, { id: 'fn', type: 'functionNode', name: 'Calc', content }, output], [link('in', 'fn'), link('fn', 'out')]);
    expect(await validateJdm(fn('const handler = (input) => ({ x: input.a });'))).toEqual([]);
    expect(await validateJdm(fn({ source: "import zen from 'zen';\nexport const handler = async (input) => ({ x: 1 });" }))).toEqual([]);
    const [problem] = await validateJdm(fn({ source: 'export const handler = async (input) => { return {' }));
    expect(problem).toMatchObject({ nodeName: 'Calc' });
    expect(problem!.message).toMatch(/syntax error/);
  });

  it('rejects unknown node types, custom nodes, duplicate ids and dangling edges', async () => {
    const problems = await validateJdm(
      graph(
        [input, { id: 'x', type: 'mysteryNode', name: 'Mystery' }, { id: 'x', type: 'customNode', name: 'Custom' }, output],
        [link('in', 'ghost'), link('in', 'out')],
      ),
    );
    const messages = problems.map((p) => p.message);
    expect(messages).toContain("unknown node type 'mysteryNode'");
    expect(messages).toContain("node id 'x' is used by more than one node");
    expect(messages.some((m) => /custom nodes/.test(m))).toBe(true);
    expect(messages.some((m) => /ends at node 'ghost', which does not exist/.test(m))).toBe(true);
  });

  it('asks the engine itself to load the graph, naming what it misses', async () => {
    const sw = { id: 'sw', type: 'switchNode', name: 'Route', content: { statements: [{ id: 's1' }] } };
    const problems = await validateJdm(graph([input, sw, output], [link('in', 'sw'), link('sw', 'out')]));
    expect(problems.map((p) => p.message)).toEqual(["the engine cannot load this graph: missing field 'condition'"]);
  });

  it('requires a sub-decision key on decision nodes', async () => {
    const doc = graph([input, { id: 'sub', type: 'decisionNode', name: 'Child', content: {} }, output], [link('in', 'sub'), link('sub', 'out')]);
    expect((await validateJdm(doc))[0]!.message).toMatch(/content.key must name the sub-decision/);
  });
});
