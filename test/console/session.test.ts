import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { DEFAULT_ASSETS_ROOT } from '../../src/console/assets.js';

/** The cookie a Set-Cookie header sets, as `name=value`, for sending back. */
const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;

describe('console sessions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const signIn = (token: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/session`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers } });

  it('exchanges an API token for an HttpOnly, SameSite=Strict cookie scoped to the API', async () => {
    const res = await signIn(server.adminToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ role: 'admin', name: 'bootstrap admin', via: 'bearer', permissions: expect.arrayContaining(['decision:write', 'deploy']) });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^verdict_session=vrd_api_/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/api/);
    expect(cookie).toMatch(/; Max-Age=28800/);
    // Plain HTTP here: a Secure cookie would never come back.
    expect(cookie).not.toMatch(/Secure/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('marks the cookie Secure behind an HTTPS proxy', async () => {
    const res = await signIn(server.adminToken, { 'x-forwarded-proto': 'https' });
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('refuses unknown tokens and anonymous callers', async () => {
    expect((await signIn('vrd_api_unknown')).status).toBe(401);
    const anonymous = await fetch(`${server.url}/api/session`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${server.url}/api/session`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/projects`, { headers: { cookie: 'verdict_session=vrd_api_unknown' } })).status).toBe(401);
  });

  it('authenticates the cookie as the bearer token, with the same role', async () => {
    const admin = cookieOf(await signIn(server.adminToken));
    const me = await fetch(`${server.url}/api/session`, { headers: { cookie: admin } });
    expect(await me.json()).toMatchObject({ role: 'admin', via: 'cookie' });
    const viewer = cookieOf(await signIn(await server.tokenFor('viewer')));
    expect(await (await fetch(`${server.url}/api/session`, { headers: { cookie: viewer } })).json()).toMatchObject({ role: 'viewer', permissions: ['read'] });
    expect((await fetch(`${server.url}/api/projects`, { headers: { cookie: viewer } })).status).toBe(200);
    const write = (cookie: string) =>
      fetch(`${server.url}/api/projects`, { method: 'POST', headers: { cookie, 'x-verdict-console': '1', 'content-type': 'application/json' }, body: JSON.stringify({ key: `p${Date.now()}` }) });
    expect((await write(viewer)).status).toBe(403);
    expect((await write(admin)).status).toBe(201);
  });

  it('refuses a cookie-authenticated write without the console header (cross-site requests), before reading the body', async () => {
    const admin = cookieOf(await signIn(server.adminToken));
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'key=evil'],
      ['text/plain', '{"key": "evil"}'],
      ['application/json', '{"key": "evil"}'],
      ['application/json', '{"key": '],
    ] as const) {
      const res = await fetch(`${server.url}/api/projects`, { method: 'POST', headers: { cookie: admin, 'content-type': type }, body });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'forbidden', detail: expect.stringMatching(/x-verdict-console/) });
    }
    expect((await server.request('GET', '/api/projects/evil')).status).toBe(404);
    // Signing out is a write too.
    expect((await fetch(`${server.url}/api/session`, { method: 'DELETE', headers: { cookie: admin } })).status).toBe(403);
  });

  it('prefers the Authorization header over the cookie', async () => {
    const viewer = cookieOf(await signIn(await server.tokenFor('viewer')));
    const res = await fetch(`${server.url}/api/session`, { headers: { cookie: viewer, authorization: `Bearer ${server.adminToken}` } });
    expect(await res.json()).toMatchObject({ role: 'admin', via: 'bearer' });
  });

  it('signs out by clearing the cookie', async () => {
    const admin = cookieOf(await signIn(server.adminToken));
    const res = await fetch(`${server.url}/api/session`, { method: 'DELETE', headers: { cookie: admin, 'x-verdict-console': '1' } });
    expect(res.status).toBe(204);
    const cleared = res.headers.get('set-cookie')!;
    expect(cleared).toMatch(/^verdict_session=;/);
    expect(cleared).toMatch(/Max-Age=0/);
    expect(cleared).toMatch(/HttpOnly/);
  });
});

describe('console assets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const get = (path: string, accept = 'text/html,application/xhtml+xml') => fetch(`${server.url}${path}`, { headers: { accept } });

  it('serves the console page at / without caching it, under its own content security policy', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(await res.text()).toMatch(/<div id="root">/);
  });

  it('caches hashed assets for a year', async () => {
    const asset = readdirSync(`${DEFAULT_ASSETS_ROOT}assets`).find((name) => name.endsWith('.js'))!;
    const res = await get(`/assets/${asset}`, '*/*');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('etag')).toBeTruthy();
  });

  it('answers deep links with the page, and keeps the API 404 everywhere else', async () => {
    const deep = await get('/projects/pricing/decisions/pricing/discount');
    expect(deep.status).toBe(200);
    expect(deep.headers.get('cache-control')).toBe('no-cache');
    expect(await deep.text()).toMatch(/<div id="root">/);
    for (const [path, accept] of [
      ['/api/nothing', 'text/html'],
      ['/api', 'text/html'],
      ['/healthz', 'application/json'],
      ['/projects', 'application/json'],
      ['/assets/missing.js', '*/*'],
    ] as const) {
      const res = await get(path, accept);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
    const missingApi = await get('/api/projects', 'text/html');
    expect(missingApi.status).toBe(401);
  });

  it('leaves the API documents alone', async () => {
    const openapi = await get('/openapi.json', 'application/json');
    expect(openapi.status).toBe(200);
    const document = (await openapi.json()) as any;
    expect(document.paths['/api/session']).toBeDefined();
    expect((await get('/health', 'text/html')).headers.get('content-type')).toMatch(/json/);
    const docs = await get('/docs/', 'text/html');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });
});
