import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { rowCounts } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** POST /api/projects/:project/decisions/:key/rename: one transaction, history moves with the decision. */
describe('renaming a decision', () => {
  let server: TestServer;
  const base = '/api/projects/shop/decisions';
  const doc = readCorpus('graphs', 'expression-default.json');
  const changed = () => {
    const next = structuredClone(doc);
    next.nodes[1].content.expressions[0].value = 'a + b + 100';
    return next;
  };
  const caller = (reference: string) => ({
    nodes: [
      { id: 'in', type: 'inputNode', name: 'Request', position: { x: 0, y: 0 } },
      { id: 'sub', type: 'decisionNode', name: 'Discount', position: { x: 200, y: 0 }, content: { key: reference } },
      { id: 'out', type: 'outputNode', name: 'Response', position: { x: 400, y: 0 } },
    ],
    edges: [
      { id: 'a', sourceId: 'in', targetId: 'sub', type: 'edge' },
      { id: 'b', sourceId: 'sub', targetId: 'out', type: 'edge' },
    ],
  });
  const rename = (from: string, to: unknown, token?: string) =>
    server.request('POST', `${base}/${encodeURIComponent(from)}/rename`, { body: { to }, ...(token === undefined ? {} : { token }) });

  beforeAll(async () => {
    server = await startTestServer();
    expect((await server.request('POST', '/api/projects', { body: { key: 'shop' } })).status).toBe(201);
    expect((await server.request('PUT', `${base}/pricing%2Fsums`, { body: { content: doc, message: 'first' } })).status).toBe(201);
    expect((await server.request('PUT', `${base}/pricing%2Fsums`, { body: { content: changed(), message: 'second' } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/shop/releases', { body: { label: 'before-rename' } })).status).toBe(201);
  });
  afterAll(() => server?.close());

  it('moves the decision and its history to the new key, recording the rename as a version', async () => {
    const renamed = await rename('pricing/sums', 'totals/sums.json');
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ key: 'totals/sums', renamedFrom: 'pricing/sums', version: 3, deleted: false, message: 'renamed from pricing/sums', author: 'bootstrap admin' });

    const history = await server.request('GET', `${base}/totals%2Fsums/versions`);
    expect(history.body.map((v: any) => [v.version, v.message])).toEqual([
      [3, 'renamed from pricing/sums'],
      [2, 'second'],
      [1, 'first'],
    ]);
    const latest = await server.request('GET', `${base}/totals%2Fsums`);
    expect(latest.body.content).toEqual(changed());
    expect(latest.body.contentHash).toBe(history.body[1].contentHash);
    expect((await server.request('GET', `${base}/totals%2Fsums/versions/1`)).body.content).toEqual(doc);

    expect((await server.request('GET', `${base}/pricing%2Fsums`)).status).toBe(404);
    const keys = (await server.request('GET', base)).body.map((d: any) => d.key);
    expect(keys).toEqual(['totals/sums']);
  });

  it('leaves earlier releases as they were and puts the new key in the next one', async () => {
    const before = await server.request('GET', '/api/projects/shop/releases/before-rename');
    expect(before.body.decisions.map((d: any) => [d.key, d.version])).toEqual([['pricing/sums', 2]]);
    const next = await server.request('POST', '/api/projects/shop/releases', { body: { label: 'after-rename' } });
    expect(next.status).toBe(201);
    expect(next.body.decisions.map((d: any) => [d.key, d.version])).toEqual([['totals/sums', 3]]);
    // Same content under another key: a different release.
    expect(next.body.contentHash).not.toBe(before.body.contentHash);
  });

  it('records the rename in the audit log', async () => {
    const audit = await server.request('GET', '/api/audit?action=decision.rename');
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({ target: 'pricing/sums', projectKey: 'shop', details: { to: 'totals/sums', version: 3 } });
  });

  it('refuses a taken key, a deleted decision\'s key, the same key, a bad key and a missing decision, changing nothing', async () => {
    await server.request('PUT', `${base}/other`, { body: { content: doc } });
    await server.request('PUT', `${base}/gone`, { body: { content: doc } });
    await server.request('DELETE', `${base}/gone`);
    const counts = await rowCounts(server.db.sql);

    const taken = await rename('totals/sums', 'other');
    expect(taken).toMatchObject({ status: 409, body: { code: 'conflict', detail: "decision 'other' already exists in project 'shop'" } });
    const tombstone = await rename('totals/sums', 'gone');
    expect(tombstone).toMatchObject({ status: 409, body: { detail: expect.stringContaining('deleted decision') } });
    expect((await rename('totals/sums', 'totals/sums')).status).toBe(400);
    expect((await rename('totals/sums', '../escape')).body).toMatchObject({ code: 'bad-request' });
    expect((await rename('totals/sums', '')).body).toMatchObject({ code: 'validation-failed' });
    expect((await server.request('POST', `${base}/totals%2Fsums/rename`, { body: { to: 'x', extra: 1 } })).status).toBe(400);
    expect((await rename('nothing/here', 'x')).status).toBe(404);
    expect((await rename('gone', 'back')).status).toBe(404);

    expect(await rowCounts(server.db.sql)).toEqual(counts);
    expect((await server.request('GET', `${base}/totals%2Fsums`)).body.version).toBe(3);
  });

  it('refuses to rename a decision another one calls as a sub-decision, naming the caller', async () => {
    await server.request('PUT', `${base}/called`, { body: { content: doc } });
    await server.request('PUT', `${base}/checkout`, { body: { content: caller('/called.json') } });
    const refused = await rename('called', 'renamed');
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe("decision 'checkout', node 'Discount' calls 'called' as a sub-decision; save it calling 'renamed', then rename");
    expect(refused.body.errors).toEqual([expect.objectContaining({ decision: 'checkout', nodeId: 'sub', reference: '/called.json' })]);

    // Once the caller points at the new key, the rename goes through and a release holds both.
    await server.request('PUT', `${base}/checkout`, { body: { content: caller('renamed') } });
    expect((await rename('called', 'renamed')).status).toBe(200);
    expect((await server.request('POST', '/api/projects/shop/releases', { body: {} })).status).toBe(201);
  });

  it('is an editor\'s write: viewers and deployers get 403', async () => {
    for (const role of ['viewer', 'deployer'] as const) {
      const res = await rename('other', `by-${role}`, await server.tokenFor(role));
      expect(res.status).toBe(403);
    }
    expect((await rename('other', 'by-editor', await server.tokenFor('editor'))).status).toBe(200);
  });

  it('gives the same answer to a retried request with the same Idempotency-Key', async () => {
    await server.request('PUT', `${base}/retried`, { body: { content: doc } });
    const send = () => server.request('POST', `${base}/retried/rename`, { body: { to: 'retried-2' }, headers: { 'idempotency-key': 'rename-once-1' } });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await server.request('GET', `${base}/retried-2/versions`)).body).toHaveLength(2);
  });
});
