import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('audit log', () => {
  let server: TestServer;
  let editor: string;

  beforeAll(async () => {
    server = await startTestServer();
    editor = await server.tokenFor('editor');
    await server.request('POST', '/api/projects', { body: { key: 'ledger' } });
    await server.request('POST', '/api/projects', { body: { key: 'other' } });
    await server.request('PUT', '/api/projects/ledger/decisions/fees', {
      body: { content: readCorpus('graphs', 'seller-fee-calculator.json') },
      token: editor,
      headers: { 'x-request-id': 'req-from-client-1' },
    });
    const changed = readCorpus('graphs', 'seller-fee-calculator.json');
    changed.nodes[0].name = 'v2';
    await server.request('PUT', '/api/projects/ledger/decisions/fees', { body: { content: changed }, token: editor });
    await server.request('POST', '/api/projects/ledger/releases', { body: {} });
    await server.request('POST', '/api/projects/ledger/environments', { body: { key: 'prod' } });
    await server.request('POST', '/api/projects/ledger/environments/prod/deployments', { body: { release: 'latest' } });
  });
  afterAll(() => server?.close());

  it('records who changed what, with hashes, request id and address', async () => {
    const res = await server.request('GET', '/api/audit?project=ledger&limit=100');
    expect(res.status).toBe(200);
    expect(res.body.entries.map((e: any) => e.action)).toEqual([
      'deployment.deploy',
      'environment.create',
      'release.create',
      'decision.save',
      'decision.save',
      'project.create',
    ]);
    const saves = res.body.entries.filter((e: any) => e.action === 'decision.save').reverse();
    expect(saves[0]).toMatchObject({ actor: 'editor (test)', target: 'fees', targetType: 'decision', beforeHash: null, requestId: 'req-from-client-1', ip: '127.0.0.1' });
    expect(saves[1].beforeHash).toBe(saves[0].afterHash);
    expect(saves[1].afterHash).not.toBe(saves[0].afterHash);
    const deploy = res.body.entries[0];
    expect(deploy).toMatchObject({ actor: 'bootstrap admin', target: 'prod', details: expect.objectContaining({ release: 'v1' }) });
  });

  it('filters by action prefix, actor and time, and pages with a cursor', async () => {
    const deploys = await server.request('GET', '/api/audit?action=deployment.*');
    expect(deploys.body.entries.map((e: any) => e.action)).toEqual(['deployment.deploy']);
    const byEditor = await server.request('GET', `/api/audit?actor=${encodeURIComponent('editor (test)')}`);
    expect(byEditor.body.entries).toHaveLength(2);
    const future = await server.request('GET', `/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.body.entries).toEqual([]);

    const page1 = await server.request('GET', '/api/audit?limit=2');
    expect(page1.body.entries).toHaveLength(2);
    expect(page1.body.nextCursor).toBe(page1.body.entries[1].id);
    const page2 = await server.request('GET', `/api/audit?limit=2&before=${page1.body.nextCursor}`);
    expect(page2.body.entries[0].id).toBeLessThan(page1.body.entries[1].id);
    expect((await server.request('GET', '/api/audit?since=yesterday')).status).toBe(400);
  });

  it('writes no entry for a refused change', async () => {
    const before = (await server.request('GET', '/api/audit?limit=1000')).body.entries.length;
    await server.request('PUT', '/api/projects/ledger/decisions/bad', { body: { content: readCorpus('engine-cases', 'error-cyclic.json') } });
    await server.request('POST', '/api/projects/ledger/environments/prod/deployments', { body: { release: 'v9' } });
    expect((await server.request('GET', '/api/audit?limit=1000')).body.entries.length).toBe(before);
  });

  it('is append-only in the database', async () => {
    await expect(server.db.sql`UPDATE audit_log SET actor = 'nobody'`).rejects.toThrow(/append-only/);
    await expect(server.db.sql`DELETE FROM audit_log`).rejects.toThrow(/append-only/);
    await expect(server.db.sql`TRUNCATE audit_log`).rejects.toThrow(/append-only/);
  });
});
