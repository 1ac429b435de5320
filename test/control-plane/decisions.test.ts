import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFiles, readCorpus } from '../helpers/corpus.js';
import { rowCounts } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('decisions API', () => {
  let server: TestServer;
  const base = '/api/projects/pricing/decisions';

  beforeAll(async () => {
    server = await startTestServer({ bodyLimitBytes: 4 * 1024 * 1024 });
    expect((await server.request('POST', '/api/projects', { body: { key: 'pricing', name: 'Pricing' } })).status).toBe(201);
  });
  afterAll(() => server?.close());

  it('accepts every corpus graph in one transaction', async () => {
    const decisions = corpusFiles('graphs').map((f) => ({ key: `corpus/${f}`, content: readCorpus('graphs', f) }));
    const res = await server.request('POST', base, { body: { decisions, message: 'import corpus' } });
    expect(res.status).toBe(200);
    expect(res.body.saved).toBe(decisions.length);
    expect(res.body.results.every((r: any) => r.version === 1 && r.key.startsWith('corpus/') && !r.key.endsWith('.json'))).toBe(true);
  });

  it('accepts the 2.8 MB decision table', async () => {
    const res = await server.request('PUT', `${base}/big%2F8k`, { body: { content: readCorpus('engine-cases', '8k.json') } });
    expect(res.status).toBe(201);
  });

  it('versions every save, skips identical content, and keeps history', async () => {
    const doc = readCorpus('graphs', 'expression-default.json');
    const first = await server.request('PUT', `${base}/sums%2Fdefault`, { body: { content: doc, message: 'first' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ key: 'sums/default', version: 1, unchanged: false, deleted: false, message: 'first', author: 'bootstrap admin' });
    expect(first.body.contentHash).toMatch(/^[0-9a-f]{64}$/);

    // Same content, keys in another order: same canonical hash, no new version.
    const reordered = Object.fromEntries(Object.entries(doc).reverse());
    const again = await server.request('PUT', `${base}/sums%2Fdefault`, { body: { content: reordered } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, unchanged: true, contentHash: first.body.contentHash });

    const changed = structuredClone(doc);
    changed.nodes[1].content.expressions[0].value = 'a + b + 1';
    const second = await server.request('PUT', `${base}/sums%2Fdefault`, { body: { content: changed } });
    expect(second.body).toMatchObject({ version: 2, unchanged: false });

    const latest = await server.request('GET', `${base}/sums%2Fdefault`);
    expect(latest.body.version).toBe(2);
    expect(latest.body.content.nodes[1].content.expressions[0].value).toBe('a + b + 1');
    const v1 = await server.request('GET', `${base}/sums%2Fdefault/versions/1`);
    expect(v1.body.content).toEqual(doc);
    const history = await server.request('GET', `${base}/sums%2Fdefault/versions`);
    expect(history.body.map((v: any) => v.version)).toEqual([2, 1]);
  });

  it('deletes with a tombstone version and keeps earlier versions readable', async () => {
    await server.request('PUT', `${base}/to-delete`, { body: { content: readCorpus('graphs', 'expression-fields.json') } });
    const del = await server.request('DELETE', `${base}/to-delete`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ version: 2, deleted: true, contentHash: null });
    expect((await server.request('GET', `${base}/to-delete`)).status).toBe(404);
    expect((await server.request('GET', `${base}/to-delete/versions/1`)).status).toBe(200);
    const list = await server.request('GET', base);
    expect(list.body.some((d: any) => d.key === 'to-delete')).toBe(false);
    const withDeleted = await server.request('GET', `${base}?includeDeleted=true`);
    expect(withDeleted.body.find((d: any) => d.key === 'to-delete')).toMatchObject({ deleted: true, version: 2 });
    expect((await server.request('DELETE', `${base}/to-delete`)).status).toBe(404);
    // Saving again revives it as version 3.
    const revived = await server.request('PUT', `${base}/to-delete`, { body: { content: readCorpus('graphs', 'expression-fields.json') } });
    expect(revived.body).toMatchObject({ version: 3, unchanged: false });
  });

  it('refuses an invalid graph with problem+json naming the node, and stores nothing', async () => {
    const before = await rowCounts(server.db.sql);
    const res = await server.request('PUT', `${base}/broken`, { body: { content: readCorpus('engine-cases', 'error-cyclic.json') } });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:verdict:problem:invalid-decision', title: 'Decision graph is invalid', status: 422, code: 'invalid-decision' });
    expect(res.body.detail).toMatch(/decision 'broken': node 'expressionNode 1' \(id 138b3b11-ff46-450f-9704-3f3c712067b2\): the graph has a cycle/);
    expect(res.body.errors[0]).toMatchObject({ decision: 'broken', nodeName: 'expressionNode 1' });
    expect(await rowCounts(server.db.sql)).toEqual(before);
  });

  it('saves a batch all or nothing', async () => {
    const before = await rowCounts(server.db.sql);
    const res = await server.request('POST', base, {
      body: {
        decisions: [
          { key: 'batch/good', content: readCorpus('graphs', 'expression-passthrough.json') },
          { key: 'batch/bad', content: readCorpus('engine-cases', 'error-missing-output.json') },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/decision 'batch\/bad'/);
    expect(await rowCounts(server.db.sql)).toEqual(before);
    const dup = await server.request('POST', base, {
      body: { decisions: [{ key: 'x', content: readCorpus('graphs', 'expression-passthrough.json') }, { key: 'x.json', content: readCorpus('graphs', 'expression-passthrough.json') }] },
    });
    expect(dup.status).toBe(400);
    expect(dup.body.detail).toMatch(/appears more than once/);
  });

  it('enforces optimistic concurrency with baseVersion', async () => {
    const doc = readCorpus('graphs', 'expression-passthrough.json');
    expect((await server.request('PUT', `${base}/occ`, { body: { content: doc, baseVersion: 0 } })).status).toBe(201);
    const changed = structuredClone(doc);
    changed.nodes[0].name = 'renamed';
    const stale = await server.request('PUT', `${base}/occ`, { body: { content: changed, baseVersion: 0 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'conflict', latestVersion: 1 });
    expect((await server.request('PUT', `${base}/occ`, { body: { content: changed, baseVersion: 1 } })).status).toBe(201);
  });

  it('answers bad input with clear problems', async () => {
    const badKey = await server.request('PUT', `${base}/..%2Fescape`, { body: { content: readCorpus('graphs', 'expression-default.json') } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.detail).toMatch(/invalid segment '\.\.'/);

    const notJson = await server.request('PUT', `${base}/x`, { body: '{"content": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('bad-request');

    const nameless = readCorpus('graphs', 'expression-default.json');
    delete nameless.nodes[0].name;
    const noName = await server.request('PUT', `${base}/x`, { body: { content: nameless } });
    expect(noName.status).toBe(400);
    expect(noName.body.errors).toEqual([expect.objectContaining({ path: '/content/nodes/0', message: "must have required property 'name'" })]);

    const shape = await server.request('PUT', `${base}/x`, { body: { content: { nodes: 'nope' } } });
    expect(shape.status).toBe(400);
    expect(shape.body.code).toBe('validation-failed');
    expect(shape.body.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['/content/nodes', '/content']));

    const unknownProject = await server.request('PUT', '/api/projects/nope/decisions/x', { body: { content: readCorpus('graphs', 'expression-default.json') } });
    expect(unknownProject.status).toBe(404);
    expect(unknownProject.body.detail).toBe("project 'nope' does not exist");

    expect((await server.request('GET', `${base}/missing`)).body.detail).toBe("decision 'missing' does not exist in project 'pricing'");
    expect((await server.request('GET', `${base}/sums%2Fdefault/versions/99`)).status).toBe(404);
  });

  it('answers 400, not 500, for values the database cannot hold or huge numbers', async () => {
    const doc = readCorpus('graphs', 'expression-default.json');
    doc.nodes[0].name = 'nul\u0000byte';
    const nul = await server.request('PUT', `${base}/nul`, { body: { content: doc } });
    expect(nul.status).toBe(400);
    expect((await server.request('GET', `${base}/sums%2Fdefault/versions/99999999999`)).status).toBe(400);
    expect((await server.request('GET', '/api/audit?before=9223372036854775808')).status).toBe(400);
    expect((await server.request('GET', '/api/projects/p%00x')).status).toBe(400);
  });

  it('refuses graphs too large to analyse, and long chains without a stack overflow', async () => {
    const chain = (n: number) => ({
      nodes: [
        { id: 'n0', type: 'inputNode', name: 'in' },
        ...Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}`, type: 'expressionNode', name: `e${i}`, content: { expressions: [], passThrough: true } })),
      ],
      edges: Array.from({ length: n }, (_, i) => ({ id: `e${i}`, sourceId: `n${i}`, targetId: `n${i + 1}` })),
    });
    const big = await server.request('PUT', `${base}/chain`, { body: { content: chain(6000) } });
    expect(big.status).toBe(422);
    expect(big.body.detail).toMatch(/at most 5000 nodes/);
    expect((await server.request('PUT', `${base}/chain`, { body: { content: chain(4999) } })).status).toBe(201);
  });

  it('does not deadlock when batches lock the same decisions in opposite orders', async () => {
    const doc = (marker: string) => ({ ...readCorpus('graphs', 'expression-default.json'), marker });
    const keys = Array.from({ length: 8 }, (_, i) => `lock/${i}`);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, round) =>
        server.request('POST', base, { body: { decisions: (round % 2 ? [...keys].reverse() : keys).map((key) => ({ key, content: doc(`r${round}`) })) } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(results[1]!.body.results.map((r: any) => r.key)).toEqual([...keys].reverse()); // answered in request order
  });

  it('answers 413 for a body over the limit', async () => {
    const huge = { content: { nodes: [], edges: [], padding: 'x'.repeat(5 * 1024 * 1024) } };
    const res = await server.request('PUT', `${base}/huge`, { body: huge });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'payload-too-large', limit: 4 * 1024 * 1024 });
  });

  it('never lets history change, even from SQL', async () => {
    await expect(server.db.sql`UPDATE decision_versions SET author = 'mallory'`).rejects.toThrow(/append-only/);
    await expect(server.db.sql`DELETE FROM decision_versions`).rejects.toThrow(/append-only/);
  });
});
