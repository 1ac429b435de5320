import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { functionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Compiled evaluation through the real HTTP service: a decision the compiler accepts is checked
 * against zen-engine on its saved test cases at load, then answered compiled (details.evaluator),
 * with zen-engine's result; traces, function nodes and VERDICT_EVALUATOR=zen stay on zen-engine.
 */
describe('compiled evaluation (VERDICT_EVALUATOR)', () => {
  const servers: TestServer[] = [];
  const shipping = readCorpus('graphs', 'decision-table-shipping.json') as { tests: { input: Record<string, unknown>; output: unknown }[] };
  const FUNCTION_GRAPH = functionGraph('export const handler = async (input) => ({ doubled: input.n * 2 });');

  /** A server with the two decisions deployed to prod, and an evaluation token for it. */
  const start = async (evaluator?: 'auto' | 'compiled' | 'zen') => {
    const server = await startTestServer(evaluator ? { evaluator } : {});
    servers.push(server);
    await server.request('POST', '/api/projects', { body: { key: 'shop' } });
    expect((await server.request('PUT', '/api/projects/shop/decisions/shipping', { body: { content: shipping } })).status).toBe(201);
    expect((await server.request('PUT', '/api/projects/shop/decisions/fn', { body: { content: FUNCTION_GRAPH } })).status).toBe(201);
    await server.request('POST', '/api/projects/shop/releases', { body: {} });
    await server.request('POST', '/api/projects/shop/environments', { body: { key: 'prod' } });
    await server.request('POST', '/api/projects/shop/environments/prod/deployments', { body: { release: 'latest' } });
    const token = (await server.request('POST', '/api/projects/shop/environments/prod/tokens', { body: {} })).body.token as string;
    const evaluate = (key: string, body: unknown, batch = false) =>
      server.request('POST', `/api/projects/shop/${batch ? 'evaluate-batch' : 'evaluate'}/${key}`, { token: null, headers: { 'x-access-token': token }, body });
    const report = () => waitFor('the compile report to settle', async () => {
      const res = await server.request('GET', '/api/projects/shop/environments/prod/serving');
      const evaluators = res.body.evaluators as { decision: string; evaluator: string; reasons?: string[]; checkedCases?: number }[] | undefined;
      return evaluators && evaluators.length === 2 && evaluators.every((e) => e.evaluator !== 'checking') ? evaluators : undefined;
    });
    await waitFor('the node to admit the new token', async () => (await evaluate('fn', { context: { n: 1 } })).status === 200);
    return { server, evaluate, report };
  };

  let auto: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    auto = await start();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('reports which decisions run compiled and why the others do not', async () => {
    const report = await auto.report();
    const byKey = Object.fromEntries(report.map((e) => [e.decision, e]));
    expect(byKey['shipping']).toMatchObject({ evaluator: 'compiled' });
    expect(byKey['shipping']!.checkedCases).toBeGreaterThan(shipping.tests.length);
    expect(byKey['fn']).toMatchObject({ evaluator: 'zen', reasons: [expect.stringMatching(/function node/)] });
  });

  it('answers compiled with the saved outputs, and with what zen-engine answers (traced)', async () => {
    for (const test of shipping.tests) {
      const compiled = await auto.evaluate('shipping', { context: test.input });
      expect(compiled.status).toBe(200);
      expect(compiled.body.details.evaluator).toBe('compiled');
      expect(compiled.body.result).toEqual(test.output);
      expect(compiled.body.performance).toMatch(/^\d+\.\d(µs|ms)$/);
      const traced = await auto.evaluate('shipping', { context: test.input, trace: true });
      expect(traced.body.details.evaluator).toBe('zen');
      expect(traced.body.trace).toBeDefined();
      expect(traced.body.result).toEqual(compiled.body.result);
    }
    const fn = await auto.evaluate('fn', { context: { n: 21 } });
    expect(fn.body).toMatchObject({ result: { doubled: 42 }, details: { evaluator: 'zen' } });
  });

  it('evaluates batches compiled, results in order', async () => {
    const batch = await auto.evaluate('shipping', { contexts: shipping.tests.map((t) => t.input) }, true);
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((r: { result: unknown }) => r.result)).toEqual(shipping.tests.map((t) => t.output));
  });

  it('keeps every decision on zen-engine with VERDICT_EVALUATOR=zen', async () => {
    const zen = await start('zen');
    const report = await zen.report();
    expect(report.every((e) => e.evaluator === 'zen' && e.reasons?.[0] === 'VERDICT_EVALUATOR=zen')).toBe(true);
    const res = await zen.evaluate('shipping', { context: shipping.tests[0]!.input });
    expect(res.body).toMatchObject({ result: shipping.tests[0]!.output, details: { evaluator: 'zen' } });
  });
});

describe('simulator: compiled by default without trace, ?engine=zen to compare', () => {
  let server: TestServer;
  const shipping = readCorpus('graphs', 'decision-table-shipping.json') as { tests: { input: Record<string, unknown>; output: unknown }[] };
  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'sim' } });
  });
  afterAll(() => server?.close());

  it('answers the same from both engines', async () => {
    for (const test of shipping.tests) {
      const compiled = await server.request('POST', '/api/projects/sim/simulate', { body: { content: shipping, context: test.input, trace: false } });
      const zen = await server.request('POST', '/api/projects/sim/simulate?engine=zen', { body: { content: shipping, context: test.input, trace: false } });
      expect(compiled.headers.get('verdict-engine')).toBe('compiled');
      expect(zen.headers.get('verdict-engine')).toBe('zen');
      expect(compiled.body).toEqual({ result: test.output, performance: expect.any(String) });
      expect(zen.body).toEqual({ result: test.output, performance: expect.any(String) });
    }
    const traced = await server.request('POST', '/api/projects/sim/simulate', { body: { content: shipping, context: shipping.tests[0]!.input } });
    expect(traced.headers.get('verdict-engine')).toBe('zen');
    expect(traced.body).toMatchObject({ trace: expect.any(Object) });
  });
});
