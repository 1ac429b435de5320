import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Database } from '../../src/db/database.js';
import { createServices } from '../../src/control-plane/services.js';
import { hashSecret } from '../../src/lib/secrets.js';
import { createTestDatabase } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { startTestEngine } from '../helpers/engine.js';

describe('evaluation tokens', () => {
  let server: TestServer;
  const envPath = '/api/projects/app/environments/prod/tokens';

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'app' } });
    await server.request('POST', '/api/projects/app/environments', { body: { key: 'prod' } });
  });
  afterAll(() => server?.close());

  it('shows the secret once and stores only its hash', async () => {
    const created = await server.request('POST', envPath, { body: { name: 'checkout service' } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^vrd_eval_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'checkout service', environment: 'prod', revokedAt: null, lastUsedAt: null });
    expect(created.body.token.startsWith(created.body.prefix.replace('…', ''))).toBe(true);

    const list = await server.request('GET', envPath);
    expect(list.body).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    const [row] = await server.db.sql`SELECT * FROM evaluation_tokens`;
    expect(row!.tokenHash).toBe(hashSecret(created.body.token));
    expect(JSON.stringify(row)).not.toContain(created.body.token);
  });

  it('revokes tokens and tells nodes through the change counter', async () => {
    const created = await server.request('POST', envPath, { body: {} });
    const before = (await server.request('GET', '/api/changes')).body.counter;
    const revoked = await server.request('DELETE', `${envPath}/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const changes = await server.request('GET', `/api/changes?since=${before}`);
    expect(changes.body.events).toEqual([expect.objectContaining({ kind: 'evaluation-token', seq: before + 1 })]);
    expect((await server.request('DELETE', `${envPath}/${created.body.id}`)).status).toBe(409);
    expect((await server.request('DELETE', `${envPath}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await server.request('DELETE', `${envPath}/not-a-uuid`)).status).toBe(400);
  });
});

describe('API tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('authenticates by bearer token until revoked', async () => {
    const created = await server.request('POST', '/api/tokens', { body: { name: 'ci pipeline', role: 'deployer' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci pipeline', role: 'deployer' });
    const token = created.body.token as string;
    expect(token).toMatch(/^vrd_api_/);

    const me = await server.request('GET', '/api/whoami', { token });
    expect(me.body).toEqual({ name: 'ci pipeline', role: 'deployer', tokenId: created.body.id, project: null, permissions: [] });
    // last_used_at is written after the response, best effort: wait for it.
    const list = await waitFor('last use to be recorded', async () => {
      const res = await server.request('GET', '/api/tokens');
      return res.body.find((t: any) => t.id === created.body.id).lastUsedAt ? res : undefined;
    });
    expect(JSON.stringify(list.body)).not.toContain(token);

    await server.request('DELETE', `/api/tokens/${created.body.id}`);
    const after = await server.request('GET', '/api/whoami', { token });
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('the API token is unknown or has been revoked');
  });

  it('never revokes the last active admin token', async () => {
    const admins = (await server.request('GET', '/api/tokens')).body.filter((t: any) => t.role === 'admin' && !t.revokedAt);
    expect(admins).toHaveLength(1);
    const res = await server.request('DELETE', `/api/tokens/${admins[0].id}`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/last active admin token/);
    const second = await server.request('POST', '/api/tokens', { body: { name: 'second admin', role: 'admin' } });
    expect((await server.request('DELETE', `/api/tokens/${second.body.id}`)).status).toBe(200);
  });

  it('refuses unknown roles', async () => {
    const res = await server.request('POST', '/api/tokens', { body: { name: 'x', role: 'root' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation-failed');
  });
});

describe('admin bootstrap', () => {
  it('generates one admin token only when no admin exists, or registers VERDICT_ADMIN_TOKEN', async () => {
    const db = await createTestDatabase();
    try {
      const database = new Database({ writerUrl: db.url, poolSize: 2 });
      const engine = startTestEngine();
      onTestFinished(() => engine.close());
      const services = createServices(database, { checker: engine });
      const first = await services.apiTokens.bootstrap(undefined);
      expect(first.kind).toBe('generated');
      expect(await services.apiTokens.bootstrap(undefined)).toEqual({ kind: 'existing' });

      const configured = 'my_admin_token_configured_for_automation';
      expect(await services.apiTokens.bootstrap(configured)).toEqual({ kind: 'configured', revokedPrevious: 0 });
      expect(await services.apiTokens.bootstrap(configured)).toEqual({ kind: 'existing' });
      const token = await services.apiTokens.authenticate(configured);
      expect(token.kind).toBe('valid');
      expect(token.kind === 'valid' && token.token).toMatchObject({ role: 'admin', name: 'bootstrap (VERDICT_ADMIN_TOKEN)', prefix: '(configured)' });
      // Nothing of a configured secret is stored or shown.
      const rows = await db.sql`SELECT * FROM api_tokens`;
      expect(JSON.stringify(rows)).not.toContain('my_admin');

      // Rotating VERDICT_ADMIN_TOKEN revokes the old one.
      const rotated = 'my_admin_token_rotated_for_automation__';
      expect(await services.apiTokens.bootstrap(rotated)).toEqual({ kind: 'configured', revokedPrevious: 1 });
      expect(await services.apiTokens.authenticate(configured)).toMatchObject({ kind: 'revoked' });
      expect(await services.apiTokens.authenticate(rotated)).toMatchObject({ kind: 'valid' });
      const audit = await db.sql`SELECT action, details FROM audit_log WHERE action = 'api-token.bootstrap' ORDER BY id`;
      expect(audit.map((a) => a.details.source)).toEqual(['generated', 'VERDICT_ADMIN_TOKEN', 'VERDICT_ADMIN_TOKEN']);
      await database.close();
    } finally {
      await db.drop();
    }
  });
});
