import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { csvRecords, parseCsv } from '../helpers/csv.js';
import { csvField } from '../../src/control-plane/audit/csv.js';

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

  it('exports the filtered entries as CSV, quoted, with a download name', async () => {
    const res = await fetch(`${server.url}/api/audit.csv?project=ledger&action=decision.*`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="verdict-audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.headers.get('x-next-cursor')).toBeNull();
    const text = await res.text();
    expect(text.split('\r\n')[0]).toBe('id,at,actor,actor_token_id,action,target_type,target,project,before_hash,after_hash,request_id,ip,details');
    const rows = csvRecords(text);
    expect(rows.map((r) => [r.action, r.actor, r.target, r.project])).toEqual([
      ['decision.save', 'editor (test)', 'fees', 'ledger'],
      ['decision.save', 'editor (test)', 'fees', 'ledger'],
    ]);
    expect(JSON.parse(rows[0]!.details!)).toEqual({ version: 2 });
    expect(rows[1]!.request_id).toBe('req-from-client-1');
  });

  it('quotes commas, quotes and line ends, and defuses cells a spreadsheet would run', async () => {
    const name = '=HYPERLINK("http://x"), ops\nnight';
    const token = (await server.request('POST', '/api/tokens', { body: { name, role: 'admin' } })).body.token as string;
    expect((await server.request('POST', '/api/projects', { body: { key: 'quoted' }, token })).status).toBe(201);
    const res = await fetch(`${server.url}/api/audit.csv?project=quoted`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    expect(text).toContain(`"'=HYPERLINK(""http://x""), ops\nnight"`);
    expect(csvRecords(text).map((r) => r.actor)).toEqual([`'${name}`]);
    expect([csvField(null), csvField(7), csvField('plain'), csvField('-1'), csvField('+a'), csvField('@b'), csvField('a,b')]).toEqual(['', '7', 'plain', "'-1", "'+a", "'@b", '"a,b"']);
  });

  it('bounds the CSV: limit up to 10000 and a cursor header for the rest; filters are checked', async () => {
    const admin = { authorization: `Bearer ${server.adminToken}` };
    const two = await fetch(`${server.url}/api/audit.csv?limit=2`, { headers: admin });
    const rows = parseCsv(await two.text());
    expect(rows).toHaveLength(3);
    expect(two.headers.get('x-next-cursor')).toBe(rows[2]![0]);
    const rest = await fetch(`${server.url}/api/audit.csv?before=${two.headers.get('x-next-cursor')}`, { headers: admin });
    expect(Number(csvRecords(await rest.text())[0]!.id)).toBeLessThan(Number(rows[2]![0]));
    for (const query of ['limit=10001', 'limit=0', `actor=${'a'.repeat(201)}`, 'since=yesterday', `action=${'x'.repeat(101)}`]) {
      const refused = await fetch(`${server.url}/api/audit.csv?${query}`, { headers: admin });
      expect(refused.status, query).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await server.request('GET', `/api/audit?actor=${'a'.repeat(201)}`)).status).toBe(400);
    const viewer = await fetch(`${server.url}/api/audit.csv`, { headers: { authorization: `Bearer ${await server.tokenFor('viewer')}` } });
    expect(viewer.status).toBe(403);
  });
});
