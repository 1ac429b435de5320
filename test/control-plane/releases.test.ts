import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { rowCounts } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('releases API', () => {
  let server: TestServer;
  const p = '/api/projects/shop';
  const put = (key: string, content: unknown) => server.request('PUT', `${p}/decisions/${encodeURIComponent(key)}`, { body: { content } });

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'shop' } });
    await server.request('POST', '/api/projects', { body: { key: 'empty' } });
  });
  afterAll(() => server?.close());

  it('refuses to cut a release of a project without decisions', async () => {
    const res = await server.request('POST', '/api/projects/empty/releases', { body: {} });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'invalid-release', detail: expect.stringMatching(/has no decisions/) });
  });

  it('snapshots the current versions immutably and numbers releases', async () => {
    await put('shipping/table', readCorpus('graphs', 'decision-table-shipping.json'));
    await put('fees', readCorpus('graphs', 'seller-fee-calculator.json'));
    const v1 = await server.request('POST', `${p}/releases`, { body: { notes: 'first' } });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ seq: 1, label: 'v1', notes: 'first', decisionCount: 2, createdBy: 'bootstrap admin' });
    expect(v1.body.decisions.map((d: any) => [d.key, d.version])).toEqual([
      ['fees', 1],
      ['shipping/table', 1],
    ]);

    // Changing a decision afterwards does not change the release.
    const changed = readCorpus('graphs', 'seller-fee-calculator.json');
    changed.nodes[0].name = 'Request (renamed)';
    await put('fees', changed);
    const again = await server.request('GET', `${p}/releases/v1`);
    expect(again.body.decisions.find((d: any) => d.key === 'fees').version).toBe(1);
    expect(again.body.contentHash).toBe(v1.body.contentHash);
    const released = await server.request('GET', `${p}/releases/v1/decisions/fees`);
    expect(released.body.content.nodes[0].name).not.toBe('Request (renamed)');

    const v2 = await server.request('POST', `${p}/releases`, { body: { label: '2026.11-rc1' } });
    expect(v2.body).toMatchObject({ seq: 2, label: '2026.11-rc1' });
    expect(v2.body.contentHash).not.toBe(v1.body.contentHash);
    expect((await server.request('GET', `${p}/releases/latest`)).body.id).toBe(v2.body.id);
    expect((await server.request('GET', `${p}/releases/${v1.body.id}`)).body.label).toBe('v1');
    expect((await server.request('GET', `${p}/releases`)).body.map((r: any) => r.label)).toEqual(['2026.11-rc1', 'v1']);
  });

  it('gives equal content the same release hash', async () => {
    const a = await server.request('POST', `${p}/releases`, { body: { label: 'same-a' } });
    const b = await server.request('POST', `${p}/releases`, { body: { label: 'same-b' } });
    expect(a.body.contentHash).toBe(b.body.contentHash);
  });

  it('refuses duplicate, reserved and id-shaped labels', async () => {
    const dup = await server.request('POST', `${p}/releases`, { body: { label: '2026.11-rc1' } });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toBe("project 'shop' already has a release labelled '2026.11-rc1'");
    expect((await server.request('POST', `${p}/releases`, { body: { label: 'latest' } })).status).toBe(400);
    const automatic = await server.request('POST', `${p}/releases`, { body: { label: 'v77' } });
    expect(automatic.status).toBe(400);
    expect(automatic.body.detail).toMatch(/given automatically/);
    expect((await server.request('POST', `${p}/releases`, { body: { label: '0b8dcf6b-fc04-47cb-bf82-bda764e6c09b' } })).status).toBe(400);
    expect((await server.request('POST', `${p}/releases`, { body: { label: 'has space' } })).status).toBe(400);
    expect((await server.request('POST', `${p}/releases`, { body: { lable: 'typo' } })).status).toBe(400);
  });

  it('compares releases', async () => {
    await put('new/one', readCorpus('graphs', 'expression-default.json'));
    await server.request('DELETE', `${p}/decisions/shipping%2Ftable`);
    const fees = readCorpus('graphs', 'seller-fee-calculator.json');
    fees.nodes[0].name = 'third version';
    await put('fees', fees);
    await server.request('POST', `${p}/releases`, { body: { label: 'v-next' } });
    const diff = await server.request('GET', `${p}/releases/v-next/diff?base=v1`);
    expect(diff.status).toBe(200);
    expect(diff.body.added.map((d: any) => d.key)).toEqual(['new/one']);
    expect(diff.body.removed.map((d: any) => d.key)).toEqual(['shipping/table']);
    expect(diff.body.changed).toEqual([expect.objectContaining({ key: 'fees', baseVersion: 1, targetVersion: 3 })]);
    expect(diff.body.unchanged).toBe(0);
    expect(diff.body).toMatchObject({ base: { label: 'v1' }, target: { label: 'v-next' } });
    expect((await server.request('GET', `${p}/releases/v-next/diff?base=nope`)).status).toBe(404);
  });

  it('checks sub-decision references when a release is cut', async () => {
    await server.request('POST', '/api/projects', { body: { key: 'subs' } });
    const res = await server.request('PUT', '/api/projects/subs/decisions/recursive-table1', { body: { content: readCorpus('engine-cases', 'recursive-table1.json') } });
    expect(res.status).toBe(201);
    const before = await rowCounts(server.db.sql);
    const missing = await server.request('POST', '/api/projects/subs/releases', { body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toMatch(/decision 'recursive-table1', node 'inf2' \(id 0b8dcf6b-fc04-47cb-bf82-bda764e6c09b\) calls sub-decision 'recursive-table2.json', which is not in the project/);
    expect(missing.body.errors).toEqual([expect.objectContaining({ decision: 'recursive-table1', reference: 'recursive-table2.json' })]);
    expect(await rowCounts(server.db.sql)).toEqual(before);

    await server.request('PUT', '/api/projects/subs/decisions/recursive-table2', { body: { content: readCorpus('engine-cases', 'recursive-table2.json') } });
    expect((await server.request('POST', '/api/projects/subs/releases', { body: {} })).status).toBe(201);
  });

  it('answers 404 for unknown releases and keeps releases append-only', async () => {
    expect((await server.request('GET', `${p}/releases/v99`)).body.detail).toBe("project 'shop' has no release 'v99'");
    expect((await server.request('GET', '/api/projects/empty/releases/latest')).body.detail).toBe("project 'empty' has no releases yet");
    await expect(server.db.sql`UPDATE releases SET label = 'hacked'`).rejects.toThrow(/append-only/);
    await expect(server.db.sql`DELETE FROM release_decisions`).rejects.toThrow(/append-only/);
  });
});
