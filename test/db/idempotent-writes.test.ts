import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyContext } from '../../src/db/idempotency.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The Idempotency-Key travels explicitly from the route to each write transaction: every route
 * that honours it must hand it on, and a request that writes more than once is applied once and
 * replayed once, transaction by transaction.
 */
describe('idempotent writes', () => {
  let server: TestServer;
  const withKey = (key: string) => ({ 'idempotency-key': key });

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'shop' } });
    await server.request('PUT', '/api/projects/shop/decisions/calc', { body: { content: expressionGraph({ v: "'one'" }) } });
    await server.request('POST', '/api/projects/shop/environments', { body: { key: 'prod' } });
  });
  afterAll(() => server?.close());

  /** Sends the same request twice with one key: the retry must be a replay of the first answer. */
  const twice = async (method: string, path: string, key: string, body?: unknown) => {
    const first = await server.request(method, path, { body, headers: withKey(key) });
    const retry = await server.request(method, path, { body, headers: withKey(key) });
    expect(first.status, `${method} ${path}: ${JSON.stringify(first.body)}`).toBeLessThan(300);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBe(first.status);
    expect(retry.headers.get('idempotent-replayed'), `${method} ${path} replayed`).toBe('true');
    expect(retry.body).toEqual(first.body);
    return first.body;
  };

  it('is handed on by every route that honours the key', async () => {
    await twice('POST', '/api/projects', 'k-project', { key: 'other' });
    await twice('POST', '/api/projects/shop/environments', 'k-env', { key: 'staging' });
    await twice('PUT', '/api/projects/shop/decisions/calc', 'k-save', { content: expressionGraph({ v: "'two'" }) });
    await twice('POST', '/api/projects/shop/decisions', 'k-save-many', { decisions: [{ key: 'calc', content: expressionGraph({ v: "'three'" }) }] });
    await twice('POST', '/api/projects/shop/releases', 'k-release-1', {});
    await server.request('PUT', '/api/projects/shop/decisions/calc', { body: { content: expressionGraph({ v: "'four'" }) } });
    await twice('POST', '/api/projects/shop/releases', 'k-release-2', {});
    await twice('POST', '/api/projects/shop/environments/prod/deployments', 'k-deploy-1', { release: 'v1' });
    await twice('POST', '/api/projects/shop/environments/prod/deployments', 'k-deploy-2', { release: 'v2' });
    await twice('POST', '/api/projects/shop/environments/prod/rollback', 'k-rollback', {});
    await twice('DELETE', '/api/projects/shop/decisions/calc', 'k-delete');
    const evalToken = (await server.request('POST', '/api/projects/shop/environments/prod/tokens', { body: {} })).body;
    await twice('DELETE', `/api/projects/shop/environments/prod/tokens/${evalToken.id}`, 'k-eval-revoke');
    const apiToken = (await server.request('POST', '/api/tokens', { body: { name: 'ci', role: 'deployer' } })).body;
    await twice('DELETE', `/api/tokens/${apiToken.id}`, 'k-api-revoke');

    const deployments = (await server.request('GET', '/api/projects/shop/environments/prod/deployments')).body;
    expect(deployments.map((d: { kind: string; release: { label: string } }) => `${d.kind} ${d.release.label}`)).toEqual(['rollback v1', 'deploy v2', 'deploy v1']);
  });

  it('applies each transaction of a keyed request once and replays each once', async () => {
    const db = server.services.db;
    const insert = (key: string) => (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) =>
      tx<{ id: string }[]>`INSERT INTO projects (key, name, created_by) VALUES (${key}, ${key}, 'test') RETURNING id`.then((rows) => rows[0]!.id);
    const request = async (failSecond: boolean) => {
      const idempotency = new IdempotencyContext('test scope', 'two-writes', 'same request');
      const first = await db.transaction(insert('two-writes-a'), { idempotency });
      const second = await db.transaction(async (tx) => {
        if (failSecond) throw new Error('the second write fails');
        return insert('two-writes-b')(tx);
      }, { idempotency });
      return { first, second, replayed: idempotency.replayed };
    };

    // The first attempt commits its first write, then fails: its retry replays the first write and
    // does the second, once; a further retry replays both.
    await expect(request(true)).rejects.toThrow('the second write fails');
    const retried = await request(false);
    const again = await request(false);
    expect(again).toEqual({ ...retried, replayed: true });
    expect(retried.replayed).toBe(true);

    const rows = await server.db.sql<{ key: string }[]>`SELECT key FROM projects WHERE key LIKE 'two-writes-%' ORDER BY key`;
    expect(rows.map((r) => r.key)).toEqual(['two-writes-a', 'two-writes-b']);
    const claims = await server.db.sql<{ key: string }[]>`SELECT key FROM idempotency_keys WHERE scope = 'test scope' ORDER BY key`;
    expect(claims.map((r) => r.key)).toEqual(['two-writes', 'two-writes#2']);
  });

  it('leaves writes without a key alone', async () => {
    const db = server.services.db;
    const before = await server.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM idempotency_keys`;
    await db.transaction((tx) => tx`SELECT 1`);
    expect(await server.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM idempotency_keys`).toEqual(before);
  });
});
