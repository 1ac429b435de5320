import { ZenEngine } from '@gorules/zen-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_DEPENDENT, corpusFiles, readCorpus, withoutPaths as without } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { unlessBusy } from '../helpers/wait.js';

const keyOf = (file: string) => `corpus/${file.replace(/\.json$/, '')}`;

/** A graph whose one function node throws: every case is an engine error. */
function throwingGraph(tests: unknown[]): Record<string, unknown> {
  return {
    nodes: [
      { id: 'in', name: 'request', type: 'inputNode' },
      { id: 'fn', name: 'explode', type: 'functionNode', content: { source: "export const handler = async () => { throw new Error('boom: no rate for this region'); }" } },
      { id: 'out', name: 'response', type: 'outputNode' },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'fn' },
      { id: 'e2', sourceId: 'fn', targetId: 'out' },
    ],
    tests,
  };
}

describe('decision tests: cases stored in decisions, run through the engine', () => {
  let server: TestServer;
  const files = corpusFiles('graphs');
  const run = (body: unknown, token?: string) => unlessBusy(() => server.request('POST', '/api/projects/t/tests/run', { body, ...(token ? { token } : {}) }));
  const put = (key: string, content: unknown) => server.request('PUT', `/api/projects/t/decisions/${encodeURIComponent(key)}`, { body: { content } });

  beforeAll(async () => {
    server = await startTestServer({ testMaxCases: 500 });
    await server.request('POST', '/api/projects', { body: { key: 't' } });
    const pushed = await server.request('POST', '/api/projects/t/decisions', {
      body: { decisions: files.map((f) => ({ key: keyOf(f), content: readCorpus('graphs', f) })) },
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
  });
  afterAll(() => server?.close());

  it('keeps the tests a decision is saved with, in its versions and its releases', async () => {
    const doc = readCorpus('graphs', 'decision-table-shipping.json');
    const saved = await server.request('GET', `/api/projects/t/decisions/${encodeURIComponent(keyOf('decision-table-shipping.json'))}`);
    expect(saved.body.content.tests).toEqual(doc.tests);
    expect(saved.body.content.tests).toHaveLength(12);
    expect((await server.request('POST', '/api/projects/t/releases', { body: { label: 'corpus' } })).status).toBe(201);
    const released = await server.request('GET', `/api/projects/t/releases/corpus/decisions/${encodeURIComponent(keyOf('decision-table-shipping.json'))}`);
    expect(released.body.content.tests).toEqual(doc.tests);
  });

  it("runs every corpus graph's own cases: all pass, but for the fields that depend on the clock", async () => {
    const engine = new ZenEngine();
    afterAll(() => engine.dispose());
    const res = await run({});
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    const cases = files.reduce((n, f) => n + readCorpus('graphs', f).tests.length, 0);
    expect(res.body.source).toEqual({ kind: 'drafts' });
    expect(res.body.totals).toMatchObject({ decisions: 60, cases });
    expect(res.body.untested).toEqual([]);
    for (const decision of res.body.decisions) {
      const file = `${decision.key.replace(/^corpus\//, '')}.json`;
      const expected = readCorpus('graphs', file).tests;
      expect(decision.cases.map((c: any) => c.index)).toEqual(expected.map((_: unknown, i: number) => i));
      const clock = CLOCK_DEPENDENT[file];
      for (const c of decision.cases) {
        expect(c.expected, `${file} tests[${c.index}]`).toEqual(expected[c.index].output);
        if (!clock) {
          expect(c, `${file} tests[${c.index}]`).toMatchObject({ passed: true });
          expect(c.actual).toBeUndefined();
        } else if (!c.passed) {
          // The result is what the engine gives today, which is not what it gave when the case was written.
          expect(c.error).toBeUndefined();
          const local = await engine.createDecision(readCorpus('graphs', file)).evaluate(expected[c.index].input);
          expect(without(c.actual, clock), `${file} tests[${c.index}]`).toEqual(without(local.result, clock));
        }
      }
    }
    const failedFiles = res.body.decisions.filter((d: any) => d.failed > 0).map((d: any) => `${d.key.replace(/^corpus\//, '')}.json`);
    for (const f of failedFiles) expect(Object.keys(CLOCK_DEPENDENT)).toContain(f);
    expect(res.body.totals.failed).toBe(res.body.decisions.reduce((n: number, d: any) => n + d.failed, 0));
    expect(res.body.passed).toBe(res.body.totals.failed === 0);
  });

  it('reports a broken rule as failing cases with expected, actual and where they differ', async () => {
    const key = keyOf('decision-table-shipping.json');
    const broken = readCorpus('graphs', 'decision-table-shipping.json');
    const table = broken.nodes.find((n: any) => n.type === 'decisionTableNode');
    table.content.rules[0]['f01ad940-81f0-4164-9868-5423fb66cca9'] = '16'; // PREMIUM_HIGH: 15 -> 16
    expect((await put(key, broken)).status).toBe(201);

    const res = await run({ decisions: [key] });
    expect(res.status).toBe(200);
    expect(res.body.passed).toBe(false);
    expect(res.body.decisions).toHaveLength(1);
    const [decision] = res.body.decisions;
    expect(decision).toMatchObject({ key, version: 2 });
    const failed = decision.cases.filter((c: any) => !c.passed);
    expect(failed.length).toBeGreaterThan(0);
    expect(decision.failed).toBe(failed.length);
    expect(decision.passed).toBe(12 - failed.length);
    expect(failed[0]).toMatchObject({
      index: 0,
      passed: false,
      input: broken.tests[0].input,
      expected: { price: 15, group: 'PREMIUM_HIGH' },
      actual: { price: 16, group: 'PREMIUM_HIGH' },
      differences: [{ path: '/price', expected: 15, actual: 16 }],
    });
    expect(res.body.totals).toEqual({ decisions: 1, cases: 12, passed: 12 - failed.length, failed: failed.length });

    // The release cut before the change still passes: its tests run on its own contents.
    const released = await run({ release: 'corpus', decisions: [key] });
    expect(released.body).toMatchObject({ source: { kind: 'release', label: 'corpus' }, passed: true, totals: { cases: 12, passed: 12, failed: 0 } });
    expect(released.body.decisions[0].version).toBe(1);
  });

  it('fails a case the engine cannot evaluate, naming the node, and a case with the wrong output', async () => {
    const res = await put('errors/throws', throwingGraph([{ name: 'any input', input: { region: 'mars' }, output: { rate: 1 } }]));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const ran = await run({ decisions: ['errors/throws'] });
    expect(ran.status).toBe(200);
    const [c] = ran.body.decisions[0].cases;
    expect(c).toMatchObject({ index: 0, name: 'any input', passed: false, expected: { rate: 1 }, input: { region: 'mars' } });
    expect(c.error).toMatch(/node 'explode'.*boom: no rate for this region/);
    expect(c.actual).toBeUndefined();
    expect(ran.body.totals).toEqual({ decisions: 1, cases: 1, passed: 0, failed: 1 });
  });

  it('resolves sub-decisions from the same set, and says which decisions have no tests', async () => {
    const sub = readCorpus('graphs', 'expression-default.json');
    const { tests: _none, ...untested } = sub;
    expect((await put('sub/sum', untested)).status).toBe(201);
    const parent = {
      nodes: [
        { id: 'in', name: 'request', type: 'inputNode' },
        { id: 'call', name: 'sum it', type: 'decisionNode', content: { key: 'sub/sum', inputField: null, outputPath: null, executionMode: 'single', passThrough: false } },
        { id: 'out', name: 'response', type: 'outputNode' },
      ],
      edges: [
        { id: 'e1', sourceId: 'in', targetId: 'call' },
        { id: 'e2', sourceId: 'call', targetId: 'out' },
      ],
      tests: [{ input: { a: 2, b: 3 }, output: { sum: 5 } }],
    };
    expect((await put('sub/parent', parent)).status).toBe(201);
    const res = await run({ decisions: ['sub/parent', 'sub/sum'] });
    expect(res.body).toMatchObject({ passed: true, totals: { decisions: 1, cases: 1, passed: 1 }, untested: ['sub/sum'] });
  });

  it('refuses unknown decisions and releases, and lets viewers run tests', async () => {
    const unknown = await run({ decisions: ['nope'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'not-found', detail: "project 't' has no decision 'nope'" });
    expect((await run({ release: 'v99' })).status).toBe(404);
    const viewer = await run({ decisions: ['sub/parent'] }, await server.tokenFor('viewer'));
    expect(viewer.status).toBe(200);
    expect(viewer.body.totals.passed).toBe(1);
    // Authentication comes before validation: no token, a malformed body, 401.
    const anonymous = await server.request('POST', '/api/projects/t/tests/run', { token: null, body: { decisions: 'not-an-array' } });
    expect(anonymous.status).toBe(401);
    const malformed = await run({ decisions: 'not-an-array' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('validation-failed');
  });

  it('checks the cases when a decision is saved, naming the case, and saves nothing then', async () => {
    const graph = readCorpus('graphs', 'expression-default.json');
    const refused = async (tests: unknown) => {
      const res = await put('bounds/refused', { ...graph, tests });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.code).toBe('invalid-decision');
      return res.body;
    };
    const ok = { input: { a: 1, b: 2 }, output: { sum: 3 } };
    expect((await refused({ input: {} })).detail).toBe("decision 'bounds/refused': tests must be an array of test cases [{ name?, input, output }]");
    const many = await refused(Array.from({ length: 201 }, () => ok));
    expect(many.detail).toMatch(/has 201 test cases; at most 200 are accepted/);
    const noOutput = await refused([ok, { name: 'second', input: { a: 1 } }]);
    expect(noOutput.errors).toEqual([{ decision: 'bounds/refused', testCase: 1, testName: 'second', message: 'output is missing (the result the decision must give for input)' }]);
    expect(noOutput.detail).toBe("decision 'bounds/refused': test case tests[1] ('second'): output is missing (the result the decision must give for input)");
    const notObject = await refused([{ input: [1, 2], output: {} }, { input: 'a', output: {} }]);
    expect(notObject.errors.map((e: any) => [e.testCase, e.message])).toEqual([
      [0, 'input must be a JSON object (the context the decision is evaluated with)'],
      [1, 'input must be a JSON object (the context the decision is evaluated with)'],
    ]);
    let deep: unknown = 1;
    for (let i = 0; i < 62; i++) deep = { d: deep };
    const tooDeep = await refused([ok, { input: { deep }, output: {} }]);
    expect(tooDeep.errors[0]).toMatchObject({ testCase: 1 });
    expect(tooDeep.errors[0].message).toMatch(/^nested deeper than 64 levels, counted from the top of the decision, at \/tests\/1\/input\/deep\/d\//);
    const big = await refused([{ input: { text: 'x'.repeat(70_000) }, output: {} }]);
    expect(big.errors[0].message).toMatch(/^the case is 700\d\d bytes of JSON; at most 65536 are accepted per case$/);
    const tiny = await refused([{ input: { a: 1e-30 }, output: {} }]);
    expect(tiny.errors[0].message).toMatch(/^input holds a number the decision engine cannot take at \/a/);
    const named = await refused([{ name: 'n'.repeat(201), input: {}, output: {} }]);
    expect(named.errors[0].message).toBe('name must be a string of at most 200 characters');
    expect((await server.request('GET', '/api/projects/t/decisions/bounds%2Frefused')).status).toBe(404);
    // Within the limits: 200 cases are accepted, and the graph's own depth check still applies to it.
    expect((await put('bounds/many-1', { ...graph, tests: Array.from({ length: 200 }, () => ok) })).status).toBe(201);
  });

  it('bounds a run: more cases than VERDICT_TEST_MAX_CASES is refused before anything runs', async () => {
    const graph = readCorpus('graphs', 'expression-default.json');
    const tests = Array.from({ length: 200 }, (_, i) => ({ input: { a: i, b: 1 }, output: { sum: i + 1 } }));
    for (const key of ['bounds/many-2', 'bounds/many-3']) expect((await put(key, { ...graph, tests })).status).toBe(201);
    const res = await run({});
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('bad-request');
    expect(res.body.detail).toMatch(/^the run would evaluate \d+ test cases; at most 500 run at once \(VERDICT_TEST_MAX_CASES\): choose fewer decisions/);
    expect(res.body.limit).toBe(500);
    expect(res.body.cases).toBeGreaterThan(600);
    // One of them alone is within the bound, and passes.
    const one = await run({ decisions: ['bounds/many-2'] });
    expect(one.body).toMatchObject({ passed: true, totals: { cases: 200, passed: 200 } });
  });
});
