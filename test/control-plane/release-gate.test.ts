import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCounts } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { unlessBusy, waitFor } from '../helpers/wait.js';

const example = (file: string) => JSON.parse(readFileSync(new URL(`../../examples/decisions/${file}`, import.meta.url), 'utf8'));

/** The discount table with the gold customers' 15 % turned into 20 %: its cases and order-price's, which calls it, fail. */
function brokenDiscount(): any {
  const doc = example('discounts/customer-discount.json');
  const table = doc.nodes.find((n: any) => n.type === 'decisionTableNode');
  table.content.rules.find((r: any) => r._id === 'gold-large').percent = '20';
  return doc;
}

/** A graph whose function never settles: every case holds the engine's isolated lane for a whole deadline. */
function hangingGraph(tests: unknown[]): Record<string, unknown> {
  return {
    nodes: [
      { id: 'in', name: 'request', type: 'inputNode' },
      { id: 'fn', name: 'waits forever', type: 'functionNode', content: { source: 'export const handler = async () => new Promise(() => {});' } },
      { id: 'out', name: 'response', type: 'outputNode' },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'fn' },
      { id: 'e2', sourceId: 'fn', targetId: 'out' },
    ],
    tests,
  };
}

describe('release create with requireTests: a release only of contents whose tests pass', () => {
  let server: TestServer;
  const p = '/api/projects/gate';
  const put = (key: string, content: unknown) => server.request('PUT', `${p}/decisions/${encodeURIComponent(key)}`, { body: { content } });
  // A run refused as "busy" (503: the machine starved the engine's isolated lane) wrote nothing: sent again.
  const cut = (body: unknown, headers?: Record<string, string>) => unlessBusy(() => server.request('POST', `${p}/releases`, { body, ...(headers ? { headers } : {}) }));
  const releaseCount = async () => (await server.request('GET', `${p}/releases`)).body.length as number;

  beforeAll(async () => {
    // A shorter deadline than the tests' default: the decision that never answers below costs it
    // once. (Not much shorter: save-time checks on a busy machine need it too.)
    server = await startTestServer({ engine: { timeoutMs: 5000 } });
    await server.request('POST', '/api/projects', { body: { key: 'gate' } });
    for (const [key, file] of [
      ['discounts/customer-discount', 'discounts/customer-discount.json'],
      ['pricing/order-price', 'pricing/order-price.json'],
      ['shipping/carrier', 'shipping/carrier.json'],
    ]) {
      const saved = await put(key!, example(file!));
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    }
  });
  afterAll(() => server?.close());

  it('cuts the release when every case passes, and says what ran', async () => {
    const res = await cut({ requireTests: true, label: 'green-1' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ label: 'green-1', decisionCount: 3, tests: { decisions: 3, cases: 8, passed: 8 } });
    // Without requireTests nothing runs and nothing is reported.
    const plain = await cut({ label: 'plain-1' });
    expect(plain.status).toBe(201);
    expect(plain.body.tests).toBeUndefined();
  });

  it('refuses the release when a case fails, listing the failing cases, and writes nothing', async () => {
    expect((await put('discounts/customer-discount', brokenDiscount())).status).toBe(201);
    const before = await rowCounts(server.db.sql);
    const releases = await releaseCount();

    const res = await cut({ requireTests: true, label: 'red-1' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'tests-failed', title: 'Decision tests failed', totals: { decisions: 3, cases: 8, failed: 2, passed: 6 } });
    expect(res.body.detail).toBe(
      "2 of 8 test cases failed, so no release was made; first: decision 'discounts/customer-discount', tests[0]: /discountPercent: expected 15, got 20",
    );
    expect(res.body.errors).toEqual([
      {
        decision: 'discounts/customer-discount',
        version: 2,
        testCase: 0,
        message: '/discountPercent: expected 15, got 20',
        differences: [{ path: '/discountPercent', expected: 15, actual: 20 }],
      },
      {
        decision: 'pricing/order-price',
        version: 1,
        testCase: 0,
        message: '/discount: expected 36, got 48 (and 2 more differences)',
        differences: [
          { path: '/discount', expected: 36, actual: 48 },
          { path: '/discountPercent', expected: 15, actual: 20 },
          { path: '/total', expected: 204, actual: 192 },
        ],
      },
    ]);
    expect(await releaseCount()).toBe(releases);
    expect(await rowCounts(server.db.sql)).toEqual(before);
    expect((await server.request('GET', `${p}/releases/red-1`)).status).toBe(404);
  });

  it('counts an engine error as a failed case', async () => {
    await put('discounts/customer-discount', example('discounts/customer-discount.json'));
    const throwing = {
      nodes: [
        { id: 'in', name: 'request', type: 'inputNode' },
        { id: 'fn', name: 'explode', type: 'functionNode', content: { source: "export const handler = async () => { throw new Error('no carrier'); }" } },
        { id: 'out', name: 'response', type: 'outputNode' },
      ],
      edges: [
        { id: 'e1', sourceId: 'in', targetId: 'fn' },
        { id: 'e2', sourceId: 'fn', targetId: 'out' },
      ],
      tests: [{ name: 'throws', input: {}, output: {} }],
    };
    expect((await put('errors/throwing', throwing)).status).toBe(201);
    const releases = await releaseCount();
    const res = await cut({ requireTests: true });
    expect(res.status).toBe(422);
    expect(res.body.totals).toEqual({ decisions: 4, cases: 9, passed: 8, failed: 1 });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ decision: 'errors/throwing', testCase: 0, testName: 'throws' });
    expect(res.body.errors[0].error).toMatch(/node 'explode'.*no carrier/);
    expect(res.body.errors[0].message).toBe(res.body.errors[0].error);
    expect(await releaseCount()).toBe(releases);
    await server.request('DELETE', `${p}/decisions/errors%2Fthrowing`);
  });

  /** Times the isolated lane's engine host was stopped: once per case that held it past the deadline. */
  const stops = () => server.dataPlane.engine.status().isolated.restarts;

  it('fails a case that runs past the deadline, and does not send that decision again', async () => {
    const hanging = hangingGraph([
      { name: 'hangs', input: { a: 1 }, output: { a: 1 } },
      { name: 'hangs again', input: { a: 2 }, output: { a: 2 } },
    ]);
    expect((await put('slow/hanging', hanging)).status).toBe(201);
    try {
      const before = stops();
      const running = server.request('POST', `${p}/tests/run`, { body: { decisions: ['slow/hanging', 'shipping/carrier'] } });
      // While it holds the engine's isolated lane, four more runs wait their turn and the next is told when to come back.
      // Waited on, not slept on: on a loaded machine the run may take well over a second to reach the lane.
      await waitFor('the hanging case to hold the isolated lane', () => server.dataPlane.engine.status().isolated.queued >= 1);
      const others = await Promise.all(Array.from({ length: 5 }, () => server.request('POST', `${p}/tests/run`, { body: { decisions: ['shipping/carrier'] } })));
      const busy = others.filter((r) => r.status === 503);
      expect(busy).toHaveLength(1);
      expect(busy[0]!.headers.get('retry-after')).toBe('5');
      expect(busy[0]!.body).toMatchObject({ code: 'not-ready', retryAfter: 5, detail: 'a test run is under way on this server and 4 more are waiting; retry in 5 s' });
      for (const waited of others.filter((r) => r.status !== 503)) expect(waited.body).toMatchObject({ passed: true, totals: { cases: 3 } });
      const res = await running;
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const hung = res.body.decisions.find((d: any) => d.key === 'slow/hanging');
      expect(hung.cases[0]).toMatchObject({ index: 0, name: 'hangs', passed: false, expected: { a: 1 } });
      expect(hung.cases[0].error).toMatch(/did not finish within 5000 ms/);
      expect(hung.cases[1]).toMatchObject({ index: 1, name: 'hangs again', passed: false, error: 'not run: tests[0] of this decision ran past the evaluation deadline' });
      // One deadline spent, not two; and the next decision's cases ran on a fresh engine host.
      expect(stops()).toBe(before + 1);
      expect(res.body.decisions.find((d: any) => d.key === 'shipping/carrier')).toMatchObject({ passed: 3, failed: 0 });
    } finally {
      await server.request('DELETE', `${p}/decisions/slow%2Fhanging`);
    }
  });

  it('stops a run whose client went away before its next case', async () => {
    const keys = ['slow/hanging-1', 'slow/hanging-2'];
    for (const key of keys) expect((await put(key, hangingGraph([{ input: {}, output: {} }]))).status).toBe(201);
    try {
      const before = stops();
      // Two decisions that each hold the lane for a whole deadline: the client leaves during the first.
      const client = new AbortController();
      const abandoned = fetch(`${server.url}${p}/tests/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decisions: keys }),
        signal: client.signal,
      }).catch(() => 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      client.abort();
      expect(await abandoned).toBe('aborted');
      // The next run gets its turn when the abandoned one stops: after the first decision's case,
      // before the second's (which would have cost another deadline and another host).
      const next = await server.request('POST', `${p}/tests/run`, { body: { decisions: ['shipping/carrier'] } });
      expect(next.status).toBe(200);
      expect(stops()).toBe(before + 1);
    } finally {
      for (const key of keys) await server.request('DELETE', `${p}/decisions/${encodeURIComponent(key)}`);
    }
  });

  it('makes no release when a decision changes while its tests run (409)', async () => {
    const tests = server.services.decisionTests as unknown as { gate: (entries: unknown) => Promise<unknown> };
    const original = tests.gate;
    // A save lands after the cases ran and before the release is written.
    tests.gate = async (entries) => {
      const verdict = await original(entries);
      const changed = example('shipping/carrier.json');
      changed.nodes[0].name = 'changed meanwhile';
      expect((await put('shipping/carrier', changed)).status).toBe(201);
      return verdict;
    };
    try {
      const releases = await releaseCount();
      const res = await cut({ requireTests: true, label: 'raced' });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'conflict', changed: ['shipping/carrier'] });
      expect(res.body.detail).toBe("decision 'shipping/carrier' changed while the tests ran; no release was made: run it again");
      expect(await releaseCount()).toBe(releases);
    } finally {
      tests.gate = original;
    }
    // Run again: the new contents are tested and released.
    const again = await cut({ requireTests: true, label: 'raced' });
    expect(again.status).toBe(201);
    const released = await server.request('GET', `${p}/releases/raced/decisions/shipping%2Fcarrier`);
    expect(released.body.content.nodes[0].name).toBe('changed meanwhile');
  });

  it('answers a retried request with the release it made, even if its tests fail now', async () => {
    const headers = { 'idempotency-key': 'gate-retry-1' };
    const first = await cut({ requireTests: true, label: 'retried' }, headers);
    expect(first.status).toBe(201);
    expect((await put('discounts/customer-discount', brokenDiscount())).status).toBe(201);
    const retry = await cut({ requireTests: true, label: 'retried' }, headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    // A new request is tested again, and refused.
    expect((await cut({ requireTests: true, label: 'retried-2' })).status).toBe(422);
  });

  it('lets only roles that may cut releases gate them', async () => {
    const viewer = await server.request('POST', `${p}/releases`, { token: await server.tokenFor('viewer'), body: { requireTests: true } });
    expect(viewer.status).toBe(403);
    const typo = await cut({ requireTests: 'yes' });
    expect(typo.status).toBe(400);
  });
});
