import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { expressionGraph, functionGraph, parentGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const shipping = readCorpus('graphs', 'decision-table-shipping.json');

describe('evaluation API', () => {
  let server: TestServer;
  let prodToken: string;
  let stagingToken: string;
  let otherProjectToken: string;
  const prod = '/api/projects/shop/environments/prod';

  const evaluate = (path: string, token: string | undefined, body: unknown) =>
    server.request('POST', path, { token: null, body, headers: token ? { 'x-access-token': token } : {} });
  const servedCounter = () => server.dataPlane.runtime.state?.changeCounter ?? -1;
  const synced = async () => {
    const { counter } = (await server.request('GET', '/api/changes')).body;
    await waitFor('the node to load the latest change', () => servedCounter() >= counter);
  };

  beforeAll(async () => {
    server = await startTestServer({ batchMaxItems: 50, engine: { hosts: 2 } });
    await server.request('POST', '/api/projects', { body: { key: 'shop' } });
    await server.request('POST', '/api/projects', { body: { key: 'other' } });
    await server.request('POST', '/api/projects/shop/decisions', {
      body: {
        decisions: [
          { key: 'shipping/table', content: shipping },
          { key: 'calc', content: expressionGraph({ total: 'price * quantity', when: 'date(day)' }) },
          { key: 'child', content: expressionGraph({ marker: "'c1'" }) },
          { key: 'parent', content: parentGraph('child', 'p1') },
          { key: 'recursive-table1', content: readCorpus('engine-cases', 'recursive-table1.json') },
          { key: 'recursive-table2', content: readCorpus('engine-cases', 'recursive-table2.json') },
          { key: 'forever', content: readCorpus('engine-cases', 'infinite-function.json') },
          { key: '$nodes-parent', content: readCorpus('engine-cases', '$nodes-parent.json') },
          { key: '$nodes-child', content: readCorpus('engine-cases', '$nodes-child.json') },
          { key: 'phone-home', content: functionGraph("import http from 'http';\nexport const handler = async () => { const r = await http.get('http://127.0.0.1:9/secret'); return { status: r.status }; };") },
        ],
      },
    });
    const cut = await server.request('POST', '/api/projects/shop/releases', { body: {} });
    expect(cut.status, JSON.stringify(cut.body)).toBe(201);
    for (const env of ['prod', 'staging']) await server.request('POST', '/api/projects/shop/environments', { body: { key: env } });
    await server.request('POST', `${prod}/deployments`, { body: { release: 'v1' } });
    prodToken = (await server.request('POST', `${prod}/tokens`, { body: { name: 'checkout' } })).body.token;
    stagingToken = (await server.request('POST', '/api/projects/shop/environments/staging/tokens', { body: {} })).body.token;
    await server.request('POST', '/api/projects/other/environments', { body: { key: 'prod' } });
    otherProjectToken = (await server.request('POST', '/api/projects/other/environments/prod/tokens', { body: {} })).body.token;
    await synced();
  });
  afterAll(() => server?.close());

  it('evaluates like GoRules BRMS: token environment or named environment', async () => {
    const [test] = shipping.tests;
    for (const path of ['/api/projects/shop/evaluate/shipping/table', `${prod}/evaluate/shipping/table`, `${prod}/evaluate/shipping%2Ftable.json`]) {
      const res = await evaluate(path, prodToken, { context: test.input });
      expect(res.status, path).toBe(200);
      expect(res.body.result).toEqual(test.output);
      expect(res.body.performance).toMatch(/\d(µs|ms|ns|s)$/);
      expect(res.body.details).toMatchObject({ releaseLabel: 'v1', environment: 'prod' });
      expect(res.body.trace).toBeUndefined();
    }
    const traced = await evaluate(`${prod}/evaluate/shipping/table`, prodToken, { context: test.input, trace: true });
    const traces = Object.values(traced.body.trace) as any[];
    expect(traces.map((t) => t.name)).toEqual(expect.arrayContaining(['Shipping Fees']));
    expect(traces.every((t) => typeof t.order === 'number')).toBe(true);
  });

  it('authenticates with evaluation tokens only', async () => {
    const none = await evaluate(`${prod}/evaluate/calc`, undefined, { context: {} });
    expect(none).toMatchObject({ status: 401, body: { code: 'unauthorized', detail: expect.stringMatching(/X-Access-Token/) } });
    expect((await evaluate(`${prod}/evaluate/calc`, 'vrd_eval_nope', { context: {} })).status).toBe(401);
    const apiToken = await server.request('POST', `${prod}/evaluate/calc`, { body: { context: {} } }); // Bearer admin token, no access token
    expect(apiToken.status).toBe(401);
  });

  it('refuses a token of another environment or project with 403', async () => {
    const wrongEnv = await evaluate(`${prod}/evaluate/calc`, stagingToken, { context: {} });
    expect(wrongEnv.status).toBe(403);
    expect(wrongEnv.body.detail).toBe("this token belongs to environment 'shop/staging', not 'shop/prod'");
    expect((await evaluate('/api/projects/shop/evaluate/calc', otherProjectToken, { context: {} })).status).toBe(403);
  });

  it('answers 404 for unknown projects, environments, decisions and empty environments', async () => {
    const cases: [string, string, RegExp][] = [
      ['/api/projects/nope/evaluate/calc', prodToken, /project 'nope' does not exist/],
      ['/api/projects/shop/environments/qa/evaluate/calc', prodToken, /has no environment 'qa'/],
      [`${prod}/evaluate/missing`, prodToken, /release 'v1' deployed to 'prod' has no decision 'missing'/],
      ['/api/projects/shop/evaluate/calc', stagingToken, /nothing is deployed to 'shop\/staging' yet/],
    ];
    for (const [path, token, detail] of cases) {
      const res = await evaluate(path, token, { context: {} });
      expect(res.status, path).toBe(404);
      expect(res.body.detail).toMatch(detail);
    }
  });

  it('answers 400 for malformed bodies', async () => {
    expect((await evaluate(`${prod}/evaluate/calc`, prodToken, {})).body.code).toBe('validation-failed');
    expect((await evaluate(`${prod}/evaluate/calc`, prodToken, { context: [1, 2] })).status).toBe(400);
    expect((await evaluate(`${prod}/evaluate/calc`, prodToken, '{"context":')).status).toBe(400);
    expect((await evaluate(`${prod}/evaluate/calc`, prodToken, { context: {}, extra: 1 })).status).toBe(400);
  });

  it('answers 422 naming the node when the engine fails', async () => {
    const res = await evaluate(`${prod}/evaluate/calc`, prodToken, { context: { price: 2, quantity: 3, day: 'not a date' } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'evaluation-failed', nodeId: 'calc', nodeName: 'Calc', decision: 'calc' });
    expect(res.body.detail).toMatch(/^node 'Calc' \(id calc\): Failed to evaluate expression: "date\(day\)"/);
  });

  it('bounds recursion between sub-decisions and resolves them from the same release', async () => {
    const loop = await evaluate(`${prod}/evaluate/recursive-table1`, prodToken, { context: {} });
    expect(loop.status).toBe(422);
    expect(loop.body.detail).toMatch(/nested too deep/);
    const nodes = await evaluate(`${prod}/evaluate/$nodes-parent`, prodToken, { context: { a: 1 } });
    expect(nodes.status).toBe(200);
    expect(nodes.body.result).toEqual({
      expressionParentNodes: { request: { a: 1 } },
      expressionRequest: { a: 1 },
      functionParentNodes: { request: { a: 1 } },
      functionRequest: { a: 1 },
    });
  });

  it('stops endless function nodes without stalling other decisions', async () => {
    const finished: string[] = [];
    const stuck = Array.from({ length: 4 }, (_, i) =>
      evaluate(`${prod}/evaluate/forever`, prodToken, { context: {} }).then((r) => {
        finished.push(`stuck-${i}`);
        return r;
      }),
    );
    await waitFor('the looping functions to hold the function gate', () => server.dataPlane.engine.status().functionGate.running > 0);
    const quick = await evaluate(`${prod}/evaluate/shipping/table`, prodToken, { context: shipping.tests[0].input });
    const stuckDone = finished.length;
    expect(quick.status).toBe(200);
    // The loops run one after another (one function slot), each for about 500 ms: the table did
    // not wait for them all.
    expect(stuckDone).toBeLessThan(4);
    for (const r of await Promise.all(stuck)) {
      expect(r.status).toBe(422);
      expect(r.body.detail).toMatch(/ran longer than its time limit/);
    }
  });

  it('denies outbound HTTP from function nodes by default', async () => {
    const res = await evaluate(`${prod}/evaluate/phone-home`, prodToken, { context: {} });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/outbound HTTP to 127\.0\.0\.1:9 is not allowed/);
    expect((await server.request('GET', '/metrics')).body).toMatch(/verdict_function_http_requests_total\{outcome="denied"\} 1/);
  });

  it('evaluates batches in order with per-item errors', async () => {
    const contexts = [
      { price: 2, quantity: 3, day: '2026-01-01' },
      { price: 1, quantity: 1, day: 'garbage' },
      { price: 5, quantity: 5, day: '2026-01-02' },
    ];
    const res = await evaluate('/api/projects/shop/evaluate-batch/calc', prodToken, { contexts });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ succeeded: 2, failed: 1, details: { releaseLabel: 'v1' } });
    expect(res.body.results[0].result.total).toBe(6);
    expect(res.body.results[1].error).toMatchObject({ status: 422, code: 'evaluation-failed', nodeName: 'Calc' });
    expect(res.body.results[2].result.total).toBe(25);
    const named = await evaluate(`${prod}/evaluate-batch/calc`, prodToken, { contexts: [contexts[0]] });
    expect(named.body.results[0].result.total).toBe(6);
    const tooMany = await evaluate(`${prod}/evaluate-batch/calc`, prodToken, { contexts: Array.from({ length: 51 }, () => ({})) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.detail).toMatch(/at most 50 contexts/);
  });

  it('serves a new deployment without restart, swapping whole releases atomically', async () => {
    await server.request('POST', '/api/projects/shop/decisions', {
      body: {
        decisions: [
          { key: 'child', content: expressionGraph({ marker: "'c2'" }) },
          { key: 'parent', content: parentGraph('child', 'p2') },
        ],
      },
    });
    await server.request('POST', '/api/projects/shop/releases', { body: {} });

    // Evaluate continuously while v2 is deployed: every answer must be all-v1 or all-v2.
    let stop = false;
    const seen: { label: string; parent: string; child: string }[] = [];
    const load = (async () => {
      while (!stop) {
        const batch = await Promise.all(Array.from({ length: 8 }, () => evaluate(`${prod}/evaluate/parent`, prodToken, { context: {} })));
        for (const r of batch) seen.push({ label: r.body.details.releaseLabel, parent: r.body.result.parent, child: r.body.result.child });
      }
    })();
    await waitFor('v1 answers under load', () => seen.length >= 8);
    const deployed = await server.request('POST', `${prod}/deployments`, { body: { release: 'v2' } });
    expect(deployed.status).toBe(201);
    await waitFor('v2 to be served', () => seen.some((s) => s.label === 'v2'));
    await waitFor('more v2 answers', () => seen.filter((s) => s.label === 'v2').length >= 16);
    stop = true;
    await load;
    expect(seen.some((s) => s.label === 'v1')).toBe(true);
    for (const s of seen) {
      const n = s.label.slice(1);
      expect(s).toEqual({ label: s.label, parent: `p${n}`, child: `c${n}` });
    }
    const metrics = (await server.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/verdict_release_served\{project="shop",environment="prod",release="v2"\} 1/);
    expect(metrics).not.toMatch(/release="v1"/);
    expect(metrics).toMatch(/verdict_propagation_delay_seconds_count [1-9]/);
    expect(metrics).toMatch(/verdict_evaluations_total\{project="shop",environment="prod",decision="parent",outcome="ok"\} \d+/);
  });

  it('stops accepting a revoked token once the node syncs', async () => {
    const created = (await server.request('POST', `${prod}/tokens`, { body: { name: 'short-lived' } })).body;
    await synced();
    expect((await evaluate(`${prod}/evaluate/calc`, created.token, { context: { price: 1, quantity: 1, day: '2026-01-01' } })).status).toBe(200);
    await server.request('DELETE', `${prod}/tokens/${created.id}`);
    await synced();
    expect((await evaluate(`${prod}/evaluate/calc`, created.token, { context: {} })).status).toBe(401);
  });

  it('reports readiness and evaluation metrics', async () => {
    const ready = await server.request('GET', '/health/ready', { token: null });
    expect(ready.body).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
    const metrics = (await server.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/verdict_evaluations_total\{project="shop",environment="",decision="",outcome="unauthorized"\} \d+/);
    expect(metrics).toMatch(/verdict_evaluation_duration_seconds_bucket\{le="0.001",project="shop",environment="prod"\}/);
    expect(metrics).toMatch(/process_cpu_seconds_total/);
  });

  describe('simulator', () => {
    it('evaluates a draft with trace, resolving sub-decisions from the latest versions', async () => {
      const res = await server.request('POST', '/api/projects/shop/simulate', { body: { content: parentGraph('child', 'draft'), context: {} } });
      expect(res.status).toBe(200);
      expect(res.body.result).toEqual({ parent: 'draft', child: 'c2' });
      expect(Object.keys(res.body.trace).length).toBeGreaterThan(2);
    });

    it('evaluates stored versions and releases', async () => {
      const v1 = await server.request('POST', '/api/projects/shop/simulate', { body: { key: 'parent', release: 'v1', context: {}, trace: false } });
      expect(v1.body).toEqual({ result: { parent: 'p1', child: 'c1' }, performance: expect.any(String) });
      const version1 = await server.request('POST', '/api/projects/shop/simulate', { body: { key: 'parent', version: 1, context: {} } });
      expect(version1.body.result.parent).toBe('p1');
    });

    it('refuses invalid drafts and ambiguous requests', async () => {
      const invalid = await server.request('POST', '/api/projects/shop/simulate', { body: { content: readCorpus('engine-cases', 'error-cyclic.json'), context: {} } });
      expect(invalid.status).toBe(422);
      expect(invalid.body.code).toBe('invalid-decision');
      const both = await server.request('POST', '/api/projects/shop/simulate', { body: { content: shipping, key: 'calc', context: {} } });
      expect(both.status).toBe(400);
      const failing = await server.request('POST', '/api/projects/shop/simulate', { body: { key: 'calc', context: { day: 'x' } } });
      expect(failing.body).toMatchObject({ status: 422, nodeName: 'Calc' });
    });
  });
});

describe('outbound HTTP allow-list', () => {
  let server: TestServer;
  let target: http.Server;
  let hits = 0;

  beforeAll(async () => {
    target = http.createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ rate: 0.42 }));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const port = (target.address() as AddressInfo).port;
    server = await startTestServer({ httpAllowHosts: [`127.0.0.1:${port}`] });
    await server.request('POST', '/api/projects', { body: { key: 'fx' } });
    const source = (url: string) => `import http from 'http';\nexport const handler = async () => { const r = await http.get('${url}'); return { status: r.status, rate: r.data.rate }; };`;
    await server.request('POST', '/api/projects/fx/decisions', {
      body: {
        decisions: [
          { key: 'allowed', content: functionGraph(source(`http://127.0.0.1:${port}/rate`)) },
          { key: 'other-port', content: functionGraph(source(`http://127.0.0.1:${port + 1}/rate`)) },
        ],
      },
    });
    await server.request('POST', '/api/projects/fx/releases', { body: {} });
    await server.request('POST', '/api/projects/fx/environments', { body: { key: 'prod' } });
    await server.request('POST', '/api/projects/fx/environments/prod/deployments', { body: { release: 'latest' } });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => target.close(resolve));
  });

  it('lets function nodes call listed hosts only', async () => {
    const token = (await server.request('POST', '/api/projects/fx/environments/prod/tokens', { body: {} })).body.token;
    await waitFor('token to sync', () => server.dataPlane.runtime.state?.tokens.size === 1);
    const call = (key: string) => server.request('POST', `/api/projects/fx/evaluate/${key}`, { token: null, headers: { 'x-access-token': token }, body: { context: {} } });
    const allowed = await call('allowed');
    expect(allowed.status).toBe(200);
    expect(allowed.body.result).toEqual({ status: 200, rate: 0.42 });
    expect(hits).toBe(1);
    const denied = await call('other-port');
    expect(denied.status).toBe(422);
    expect(denied.body.detail).toMatch(/is not allowed/);
    expect(hits).toBe(1);
  });
});

describe('which decisions run function code', () => {
  it('follows sub-decision calls', async () => {
    const { decisionsRunningFunctions } = await import('../../src/data-plane/serving/compiled-release.js');
    const entry = (key: string, content: any) => ({ key, version: 1, contentHash: 'x', content });
    const found = decisionsRunningFunctions([
      entry('fn', functionGraph('export const handler = async () => ({});')),
      entry('calls-fn', parentGraph('fn', 'p')),
      entry('calls-calls-fn', parentGraph('calls-fn', 'p')),
      entry('plain', expressionGraph({ a: '1' })),
      entry('calls-plain', parentGraph('plain', 'p')),
    ]);
    expect([...found].sort()).toEqual(['calls-calls-fn', 'calls-fn', 'fn']);
  });
});
