import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { registerAuth } from '../../src/http/auth.js';
import { ROLES, type Role } from '../../src/control-plane/api-tokens/roles.js';
import { readCorpus } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let packageZip: Buffer;

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: (n: number) => string;
  readonly body?: (n: number) => unknown;
  readonly allowed: readonly Role[];
}

const everyone = ROLES;
const doc = readCorpus('graphs', 'expression-default.json');

/** The role matrix: every management route group, each role, expected allow or 403. */
const CASES: readonly Case[] = [
  { name: 'list projects', method: 'GET', path: () => '/api/projects', allowed: everyone },
  { name: 'create project', method: 'POST', path: () => '/api/projects', body: (n) => ({ key: `p-${n}` }), allowed: ['admin'] },
  { name: 'list decisions', method: 'GET', path: () => '/api/projects/m/decisions', allowed: everyone },
  { name: 'get decision', method: 'GET', path: () => '/api/projects/m/decisions/base', allowed: everyone },
  { name: 'decision history', method: 'GET', path: () => '/api/projects/m/decisions/base/versions', allowed: everyone },
  { name: 'diff decision versions', method: 'GET', path: () => '/api/projects/m/decisions/base/diff?from=1', allowed: everyone },
  { name: 'save decision', method: 'PUT', path: (n) => `/api/projects/m/decisions/d-${n}`, body: () => ({ content: doc }), allowed: ['admin', 'editor'] },
  { name: 'save decisions', method: 'POST', path: () => '/api/projects/m/decisions', body: (n) => ({ decisions: [{ key: `b-${n}`, content: doc }] }), allowed: ['admin', 'editor'] },
  { name: 'rename decision', method: 'POST', path: (n) => `/api/projects/m/decisions/ren-${n}/rename`, body: (n) => ({ to: `renamed-${n}` }), allowed: ['admin', 'editor'] },
  { name: 'delete decision', method: 'DELETE', path: (n) => `/api/projects/m/decisions/del-${n}`, allowed: ['admin', 'editor'] },
  { name: 'cut release', method: 'POST', path: () => '/api/projects/m/releases', body: () => ({}), allowed: ['admin', 'editor', 'deployer'] },
  { name: 'list releases', method: 'GET', path: () => '/api/projects/m/releases', allowed: everyone },
  { name: 'diff releases', method: 'GET', path: () => '/api/projects/m/releases/latest/diff?base=v1&content=true', allowed: everyone },
  { name: 'create environment', method: 'POST', path: () => '/api/projects/m/environments', body: (n) => ({ key: `e-${n}` }), allowed: ['admin'] },
  { name: 'update environment', method: 'PATCH', path: () => '/api/projects/m/environments/prod', body: (n) => ({ name: `prod ${n}` }), allowed: ['admin'] },
  { name: 'list deployment requests', method: 'GET', path: () => '/api/projects/m/deployment-requests', allowed: everyone },
  { name: 'list environments', method: 'GET', path: () => '/api/projects/m/environments', allowed: everyone },
  { name: 'deploy', method: 'POST', path: () => '/api/projects/m/environments/prod/deployments', body: () => ({ release: 'v1' }), allowed: ['admin', 'deployer'] },
  { name: 'rollback', method: 'POST', path: () => '/api/projects/m/environments/prod/rollback', body: () => ({ release: 'v1' }), allowed: ['admin', 'deployer'] },
  { name: 'deployment history', method: 'GET', path: () => '/api/projects/m/environments/prod/deployments', allowed: everyone },
  { name: 'create evaluation token', method: 'POST', path: () => '/api/projects/m/environments/prod/tokens', body: () => ({}), allowed: ['admin', 'deployer'] },
  { name: 'list evaluation tokens', method: 'GET', path: () => '/api/projects/m/environments/prod/tokens', allowed: ['admin', 'deployer'] },
  { name: 'create API token', method: 'POST', path: () => '/api/tokens', body: (n) => ({ name: `t-${n}`, role: 'viewer' }), allowed: ['admin'] },
  { name: 'list API tokens', method: 'GET', path: () => '/api/tokens', allowed: ['admin'] },
  { name: 'read audit log', method: 'GET', path: () => '/api/audit', allowed: ['admin'] },
  { name: 'export audit log as CSV', method: 'GET', path: () => '/api/audit.csv', allowed: ['admin'] },
  // A public address (no DNS needed) and an event this test never causes: nothing is ever sent.
  { name: 'create webhook', method: 'POST', path: () => '/api/projects/m/webhooks', body: () => ({ url: 'https://93.184.216.34/hook', events: ['node.out-of-sync'] }), allowed: ['admin'] },
  { name: 'list webhooks', method: 'GET', path: () => '/api/projects/m/webhooks', allowed: ['admin'] },
  { name: 'read changes', method: 'GET', path: () => '/api/changes', allowed: everyone },
  { name: 'who am I', method: 'GET', path: () => '/api/whoami', allowed: everyone },
  { name: 'console sign-in', method: 'POST', path: () => '/api/session', allowed: everyone },
  { name: 'console session', method: 'GET', path: () => '/api/session', allowed: everyone },
  { name: 'console sign-out', method: 'DELETE', path: () => '/api/session', allowed: everyone },
  { name: 'apply a release package', method: 'POST', path: () => '/api/projects/m/packages', body: () => packageZip, allowed: ['admin', 'editor', 'deployer'] },
  { name: 'download a release package', method: 'GET', path: () => '/api/projects/m/releases/latest/package', allowed: everyone },
  { name: 'fleet view', method: 'GET', path: () => '/api/fleet', allowed: everyone },
  // Its event stream and drill pages need the same permission (a stream never ends: not requested here).
  { name: 'regions view', method: 'GET', path: () => '/api/regions', allowed: everyone },
  { name: 'what the node serves', method: 'GET', path: () => '/api/projects/m/environments/prod/serving', allowed: everyone },
  { name: 'run decision tests', method: 'POST', path: () => '/api/projects/m/tests/run', body: () => ({}), allowed: everyone },
  { name: 'simulate', method: 'POST', path: () => '/api/projects/m/simulate', body: () => ({ content: doc, context: { a: 1, b: 2 } }), allowed: ['admin', 'editor'] },
];

describe('role-based authorisation', () => {
  let server: TestServer;
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'm' } });
    await server.request('PUT', '/api/projects/m/decisions/base', { body: { content: doc } });
    for (let i = 0; i < 40; i++) await server.request('PUT', `/api/projects/m/decisions/del-${i}`, { body: { content: doc } });
    for (let i = 0; i < 40; i++) await server.request('PUT', `/api/projects/m/decisions/ren-${i}`, { body: { content: doc } });
    await server.request('POST', '/api/projects/m/releases', { body: {} });
    await server.request('POST', '/api/projects/m/environments', { body: { key: 'prod' } });
    packageZip = (await server.request('GET', '/api/projects/m/releases/latest/package')).body;
    await waitFor('the node to know the environment', () => server.dataPlane.runtime.state?.environments.has('m/prod'));
  });
  afterAll(() => server?.close());

  for (const c of CASES) {
    it(`${c.method} ${c.name}: allowed for ${c.allowed.join(', ')}`, async () => {
      for (const role of ROLES) {
        const token = role === 'admin' ? server.adminToken : await server.tokenFor(role);
        const i = n++;
        const res = await server.request(c.method, c.path(i), { token, ...(c.body ? { body: c.body(i) } : {}) });
        if (c.allowed.includes(role)) {
          expect(res.status, `${role} ${c.name}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
        } else {
          expect(res.status, `${role} ${c.name}`).toBe(403);
          expect(res.body).toMatchObject({ code: 'forbidden', role });
        }
      }
    });
  }

  it('answers 401 without a token or with a bad one, and says how to authenticate', async () => {
    const none = await server.request('GET', '/api/projects', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.body.detail).toMatch(/Authorization: Bearer <token>/);
    const bad = await server.request('GET', '/api/projects', { token: 'vrd_api_nope' });
    expect(bad.status).toBe(401);
    expect(bad.body.detail).toBe('the API token is unknown or has been revoked');
  });

  it('covers every management route in the matrix', () => {
    // Evaluation routes take evaluation tokens, not API tokens: evaluation.test.ts covers them.
    // Sign-in routes (/api/auth/, single sign-on) take no credential: console/sso.test.ts covers them.
    const routes = server.app.routePermissions.filter((r) => r.permission !== 'evaluation' && r.permission !== 'sign-in');
    expect(server.app.routePermissions.filter((r) => r.permission === 'sign-in').map((r) => r.url).sort()).toEqual(['/api/auth/config', '/api/auth/oidc/callback', '/api/auth/oidc/login']);
    expect(routes.length).toBeGreaterThan(20);
    // Match a concrete test path against a route pattern.
    const matches = (url: string, path: string) =>
      new RegExp(`^${url.replace(/:[a-z]+/g, '[^/]+')}$`).test(path.split('?')[0]!);
    const covered = routes.filter((r) => CASES.some((c) => c.method === r.method && matches(r.url, c.path(0))));
    // Single-item reads and revokes need the same permission as the listed routes of their group.
    const uncovered = routes.filter((r) => !covered.includes(r));
    for (const r of uncovered) {
      const sibling = covered.find((c) => c.permission === r.permission && r.url.startsWith(c.url.split('/:')[0]!));
      expect(sibling, `${r.method} ${r.url} has no case in the role matrix`).toBeDefined();
    }
    expect(covered.length).toBeGreaterThanOrEqual(CASES.length);
  });

  it('refuses a management route that declares no permission', async () => {
    const app = Fastify();
    registerAuth(app, server.services);
    expect(() => app.get('/api/forgotten', async () => 'open')).toThrow(/GET \/api\/forgotten declares no permission/);
    expect(() => app.get('/api/public', { config: { permission: 'public' } }, async () => 'open')).toThrow(/declares no permission/);
    // 'sign-in' (anonymous by design: the single-sign-on flow) is for /api/auth/ alone.
    expect(() => app.get('/api/projects-too', { config: { permission: 'sign-in' } }, async () => 'open')).toThrow(/only routes under \/api\/auth\/ may/);
    expect(() => app.get('/api/auth/anything', { config: { permission: 'sign-in' } }, async () => 'ok')).not.toThrow();
    await app.close();
  });
});
