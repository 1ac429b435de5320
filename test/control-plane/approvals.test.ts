import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SYSTEM_ACTOR } from '../../src/lib/actor.js';

describe('protected environments: deployment requests and approvals', () => {
  let server: TestServer;
  const p = '/api/projects/lending';
  let alice: string; // deployer who requests
  let bob: string; // another deployer who approves
  let carol: string; // a third deployer
  let editor: string;

  const token = async (name: string, role: 'deployer' | 'editor' | 'admin', extra: Record<string, unknown> = {}) =>
    (await server.services.apiTokens.create(SYSTEM_ACTOR, { name, role, ...extra })).token;
  const served = async (env: string) => (await server.request('GET', `${p}/environments/${env}`)).body.current?.releaseLabel ?? null;

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'lending' } });
    await server.request('PUT', `${p}/decisions/aml`, { body: { content: readCorpus('graphs', 'aml.json') } });
    await server.request('POST', `${p}/releases`, { body: {} });
    await server.request('PUT', `${p}/decisions/loans`, { body: { content: readCorpus('graphs', 'loan-approval.json') } });
    await server.request('POST', `${p}/releases`, { body: {} });
    [alice, bob, carol, editor] = await Promise.all([token('alice', 'deployer'), token('bob', 'deployer'), token('carol', 'deployer'), token('eve', 'editor')]);
  });
  afterAll(() => server?.close());

  it('creates a protected environment and shows its policy', async () => {
    const created = await server.request('POST', `${p}/environments`, { body: { key: 'prod', requiredApprovals: 1 } });
    expect(created.status).toBe(201);
    expect(created.body.protection).toEqual({ requiredApprovals: 1, approverRole: null, approverGroup: null, requestTtlSeconds: 604800 });
    const dev = await server.request('POST', `${p}/environments`, { body: { key: 'dev' } });
    expect(dev.body.protection.requiredApprovals).toBe(0);
    const bad = await server.request('POST', `${p}/environments`, { body: { key: 'x', requiredApprovals: 11 } });
    expect(bad.status).toBe(400);
  });

  it('turns a deploy to a protected environment into a request that only someone else can approve', async () => {
    const asked = await server.request('POST', `${p}/environments/prod/deployments`, { token: alice, body: { release: 'v1', comment: 'first loan rules' } });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      approvalRequired: true,
      request: { environment: 'prod', kind: 'deploy', release: { label: 'v1' }, comment: 'first loan rules', requestedBy: 'alice', status: 'pending', requiredApprovals: 1, approvals: 0 },
    });
    expect(await served('prod')).toBeNull();
    const id = asked.body.request.id;

    // Asking again returns the same request.
    const again = await server.request('POST', `${p}/environments/prod/deployments`, { token: alice, body: { release: 'v1' } });
    expect(again.body.request.id).toBe(id);

    const self = await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: alice, body: {} });
    expect(self.status).toBe(403);
    expect(self.body.detail).toMatch(/someone else must approve/);
    expect((await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: editor, body: {} })).status).toBe(403);
    expect(await served('prod')).toBeNull();

    const listed = await server.request('GET', `${p}/deployment-requests`);
    expect(listed.body.map((r: any) => [r.id, r.status])).toEqual([[id, 'pending']]);

    const approved = await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: bob, body: { comment: 'lgtm' } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'deployed', approvals: 1, closedBy: 'bob', reviews: [{ reviewer: 'bob', verdict: 'approve', comment: 'lgtm' }] });
    expect(approved.body.deploymentId).toEqual(expect.any(Number));
    expect(await served('prod')).toBe('v1');

    const twice = await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: carol, body: {} });
    expect(twice.status).toBe(409);

    const audit = await server.request('GET', `/api/audit?project=lending&action=deployment.*`);
    const actions = audit.body.entries.map((e: any) => [e.action, e.actor]);
    expect(actions).toEqual(expect.arrayContaining([['deployment.request', 'alice'], ['deployment.approve', 'bob'], ['deployment.deploy', 'bob']]));
    const deployEntry = audit.body.entries.find((e: any) => e.action === 'deployment.deploy');
    expect(deployEntry.details).toMatchObject({ requestId: id, requestedBy: 'alice', approvedBy: ['bob'] });
  });

  it('needs N distinct approvals when the policy says so, and a rejection closes the request', async () => {
    const updated = await server.request('PATCH', `${p}/environments/prod`, { body: { requiredApprovals: 2 } });
    expect(updated.status).toBe(200);
    expect(updated.body.protection.requiredApprovals).toBe(2);

    const asked = await server.request('POST', `${p}/environments/prod/deployments`, { token: alice, body: { release: 'v2' } });
    const id = asked.body.request.id;
    const first = await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: bob, body: {} });
    expect(first.body).toMatchObject({ status: 'pending', approvals: 1 });
    expect(await served('prod')).toBe('v1');
    const second = await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: carol, body: {} });
    expect(second.body).toMatchObject({ status: 'deployed', approvals: 2 });
    expect(await served('prod')).toBe('v2');

    // A rollback is gated too; a rejection closes it and nothing changes.
    const back = await server.request('POST', `${p}/environments/prod/rollback`, { token: alice, body: {} });
    expect(back.status).toBe(202);
    expect(back.body.request).toMatchObject({ kind: 'rollback', release: { label: 'v1' } });
    const rejected = await server.request('POST', `${p}/deployment-requests/${back.body.request.id}/reject`, { token: bob, body: { comment: 'not now' } });
    expect(rejected.body).toMatchObject({ status: 'rejected', closedBy: 'bob' });
    expect(await served('prod')).toBe('v2');
    expect((await server.request('POST', `${p}/deployment-requests/${back.body.request.id}/approve`, { token: carol, body: {} })).status).toBe(409);
  });

  it('lets the requester cancel, and honours an approver role', async () => {
    await server.request('PATCH', `${p}/environments/prod`, { body: { requiredApprovals: 1, approverRole: 'admin' } });
    const asked = await server.request('POST', `${p}/environments/prod/rollback`, { token: alice, body: {} });
    const id = asked.body.request.id;
    const byDeployer = await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: bob, body: {} });
    expect(byDeployer.status).toBe(403);
    expect(byDeployer.body.detail).toMatch(/role 'admin'/);
    expect((await server.request('POST', `${p}/deployment-requests/${id}/cancel`, { token: bob })).status).toBe(403);
    const cancelled = await server.request('POST', `${p}/deployment-requests/${id}/cancel`, { token: alice });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', closedBy: 'alice' });
    const all = await server.request('GET', `${p}/deployment-requests?status=all&environment=prod`);
    expect(all.body.map((r: any) => r.status)).toEqual(['cancelled', 'rejected', 'deployed', 'deployed']);
    await server.request('PATCH', `${p}/environments/prod`, { body: { approverRole: null } });
  });

  it('expires requests that wait too long', async () => {
    const asked = await server.request('POST', `${p}/environments/prod/rollback`, { token: alice, body: {} });
    const id = asked.body.request.id;
    // Age the request instead of waiting a minute: the expiry itself is what is under test.
    await server.db.sql`UPDATE deployment_requests SET expires_at = now() - interval '1 second' WHERE id = ${id}`;
    expect((await server.request('GET', `${p}/deployment-requests/${id}`)).body.status).toBe('expired');
    const late = await server.request('POST', `${p}/deployment-requests/${id}/approve`, { token: bob, body: {} });
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/expired/);
    const [row] = await server.db.sql`SELECT status, closed_by FROM deployment_requests WHERE id = ${id}`;
    expect(row).toMatchObject({ status: 'expired', closedBy: 'system' });
  });

  it('gates package applies unless the token holds deploy-unreviewed, and says so in the audit log', async () => {
    const exported = await fetch(`${server.url}${p}/releases/v1/package`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(exported.status).toBe(200);
    const zip = Buffer.from(await exported.arrayBuffer());
    await server.request('POST', `${p}/environments`, { body: { key: 'live', requiredApprovals: 1 } });
    const apply = (bearer: string) =>
      fetch(`${server.url}${p}/packages?environment=live`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/zip' },
        body: zip,
      });
    const gated = await apply(server.adminToken);
    const gatedBody = await gated.json();
    expect(gated.status, JSON.stringify(gatedBody)).toBe(200);
    expect(gatedBody).toMatchObject({ status: 'already-applied', deployment: null, deploymentRequest: { environment: 'live', requiredApprovals: 1 } });
    expect(await served('live')).toBeNull();

    const pipeline = await token('pipeline', 'admin', { permissions: ['deploy-unreviewed'] });
    const unreviewed = await apply(pipeline);
    expect(unreviewed.status).toBe(200);
    const body = await unreviewed.json();
    expect(body).toMatchObject({ status: 'already-applied', deployment: { environment: 'live', changed: true }, deploymentRequest: null });
    expect(await served('live')).toBe('v1');
    const audit = await server.request('GET', `/api/audit?project=lending&action=deployment.deploy&target=live`);
    expect(audit.body.entries[0]).toMatchObject({ actor: 'pipeline', details: { unreviewed: true, permission: 'deploy-unreviewed', requiredApprovals: 1 } });
  });
});

describe('API tokens: expiry, project scope, rotation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    for (const key of ['alpha', 'beta']) await server.request('POST', '/api/projects', { body: { key } });
  });
  afterAll(() => server?.close());

  it('creates a token with an expiry and refuses it once expired, with a clear message', async () => {
    const created = await server.request('POST', '/api/tokens', { body: { name: 'ci', role: 'deployer', expiresInDays: 30 } });
    expect(created.status).toBe(201);
    const days = (Date.parse(created.body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    expect((await server.request('GET', '/api/whoami', { token: created.body.token })).status).toBe(200);
    await server.db.sql`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${created.body.id}`;
    const refused = await server.request('GET', '/api/whoami', { token: created.body.token });
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/expired at .*rotate/);
  });

  it('limits a project-scoped token to its project', async () => {
    const created = await server.request('POST', '/api/tokens', { body: { name: 'alpha-ci', role: 'deployer', project: 'alpha' } });
    expect(created.body.project).toBe('alpha');
    const t = created.body.token;
    expect((await server.request('GET', '/api/projects/alpha/environments', { token: t })).status).toBe(200);
    const other = await server.request('GET', '/api/projects/beta/environments', { token: t });
    expect(other.status).toBe(403);
    expect(other.body.detail).toMatch(/limited to project 'alpha'/);
    expect((await server.request('GET', '/api/projects', { token: t })).status).toBe(403);
    expect((await server.request('GET', '/api/whoami', { token: t })).body).toMatchObject({ name: 'alpha-ci', project: 'alpha' });
    expect((await server.request('POST', '/api/tokens', { body: { name: 'x', role: 'viewer', project: 'nope' } })).status).toBe(404);
  });

  it('rotates a token: new secret, same id, old secret valid only during the grace period', async () => {
    const created = await server.request('POST', '/api/tokens', { body: { name: 'rotating', role: 'viewer' } });
    const old = created.body.token;
    const rotated = await server.request('POST', `/api/tokens/${created.body.id}/rotate`, { body: { graceSeconds: 3600, expiresInDays: 7 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.id).toBe(created.body.id);
    expect(rotated.body.token).not.toBe(old);
    expect(rotated.body.rotatedAt).not.toBeNull();
    expect(rotated.body.previousSecretValidUntil).not.toBeNull();
    expect((await server.request('GET', '/api/whoami', { token: rotated.body.token })).status).toBe(200);
    expect((await server.request('GET', '/api/whoami', { token: old })).status).toBe(200);

    const again = await server.request('POST', `/api/tokens/${created.body.id}/rotate`);
    expect(again.status).toBe(200);
    expect(again.body.previousSecretValidUntil).toBeNull();
    for (const stale of [old, rotated.body.token]) expect((await server.request('GET', '/api/whoami', { token: stale })).status).toBe(401);
    expect((await server.request('GET', '/api/whoami', { token: again.body.token })).status).toBe(200);

    const list = await server.request('GET', '/api/tokens');
    expect(list.body.find((t: any) => t.id === created.body.id)).toMatchObject({ rotatedAt: expect.any(String), lastUsedAt: expect.any(String) });
    const audit = await server.request('GET', '/api/audit?action=api-token.rotate');
    expect(audit.body.entries).toHaveLength(2);
  });
});
