import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CookieJar, flipSignatureBit, jwtClaims, resign, signInFlow, startSsoServer, type TestProvider } from '../helpers/oidc-provider.js';

const ACCOUNTS = {
  alice: { email: 'alice@example.com', name: 'Alice', groups: ['rules-admins', 'staff'] },
  bob: { email: 'bob@example.com', name: 'Bob', groups: ['release-managers'] },
  carol: { email: 'carol@example.com', name: 'Carol', groups: ['marketing'] },
  dave: { email: 'dave@example.com', name: 'Dave', groups: ['rules-authors', 'release-managers'] },
};

/** `name=value` of Verdict's session cookie in a jar, for requests made outside the flow. */
const sessionCookie = (jar: CookieJar) => `verdict_session=${jar.get('verdict_session')}`;

describe('single sign-on through a real OpenID Connect provider', () => {
  let server: TestServer;
  let provider: TestProvider;

  let stop: () => Promise<void>;

  beforeAll(async () => {
    // No '*': people in no mapped group are refused.
    ({ server, provider, close: stop } = await startSsoServer(ACCOUNTS, { roleMap: 'rules-admins=admin,rules-authors=editor,release-managers=deployer', providerName: 'Test IdP' }));
  });
  afterAll(() => stop?.());

  it('tells the sign-in screen that single sign-on is on, without a credential', async () => {
    const res = await fetch(`${server.url}/api/auth/config`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sso: { enabled: true, providerName: 'Test IdP', loginUrl: '/api/auth/oidc/login' } });
  });

  it('sends the browser to the provider with PKCE (S256), state and nonce, remembered in a Lax, HttpOnly, encrypted cookie', async () => {
    const res = await fetch(`${server.url}/api/auth/oidc/login?next=/projects/p`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(provider.issuer);
    expect(to.searchParams.get('response_type')).toBe('code');
    expect(to.searchParams.get('client_id')).toBe('verdict-console');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('redirect_uri')).toBe(`${server.url}/api/auth/oidc/callback`);
    expect(to.searchParams.get('scope')).toBe('openid email profile groups');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^verdict_oidc=/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\/api\/auth\/oidc/);
    expect(cookie).toMatch(/; Max-Age=600/);
    // Neither the verifier nor the state can be read from it.
    expect(cookie).not.toContain(to.searchParams.get('state')!);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('signs alice in: HttpOnly session cookie, admin from her group, and she can write', async () => {
    const jar = new CookieJar();
    const { response, landed } = await signInFlow(server.url, 'alice', jar, { next: '/projects' });
    expect(response.status, await response.clone().text()).toBe(302);
    expect(landed).toBe('/projects');
    const set = response.headers.getSetCookie();
    const session = set.find((c) => c.startsWith('verdict_session='))!;
    expect(session).toMatch(/^verdict_session=vrd_sso_/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Path=\/api/);
    expect(session).toMatch(/; Max-Age=28800/);
    // The login cookie is used once.
    expect(set.find((c) => c.startsWith('verdict_oidc='))).toMatch(/Max-Age=0/);

    const me = await fetch(`${server.url}/api/session`, { headers: { cookie: sessionCookie(jar) } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'alice@example.com', role: 'admin', via: 'sso', tokenId: null, groups: ['rules-admins', 'staff'], permissions: expect.arrayContaining(['project:create']) });

    const create = await fetch(`${server.url}/api/projects`, {
      method: 'POST',
      headers: { cookie: sessionCookie(jar), 'x-verdict-console': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'sso-made' }),
    });
    expect(create.status).toBe(201);
    // The audit log names the person, and records the sign-in.
    const audit = await server.request('GET', '/api/audit?project=sso-made');
    expect(audit.body.entries[0]).toMatchObject({ actor: 'alice@example.com', actorTokenId: null, action: 'project.create' });
    const signIns = await server.request('GET', '/api/audit?action=console-session.sign-in');
    expect(signIns.body.entries[0]).toMatchObject({ actor: 'alice@example.com', details: { via: 'sso', role: 'admin', subject: `user:${provider.issuer}#alice` } });
    // The session row has the hash only.
    const [row] = await server.db.sql`SELECT subject, role, groups, issuer, secret_hash FROM console_sessions WHERE subject = ${`user:${provider.issuer}#alice`}`;
    expect(row).toMatchObject({ role: 'admin', issuer: provider.issuer, groups: ['rules-admins', 'staff'] });
    expect(row!.secretHash).not.toContain(jar.get('verdict_session'));
  });

  it('gives bob deployer from release-managers: he may deploy-side things but not create projects', async () => {
    const jar = new CookieJar();
    const { response } = await signInFlow(server.url, 'bob', jar);
    expect(response.status).toBe(302);
    expect(await (await fetch(`${server.url}/api/session`, { headers: { cookie: sessionCookie(jar) } })).json()).toMatchObject({ name: 'bob@example.com', role: 'deployer', via: 'sso' });
    expect((await fetch(`${server.url}/api/projects`, { headers: { cookie: sessionCookie(jar) } })).status).toBe(200);
    const create = await fetch(`${server.url}/api/projects`, {
      method: 'POST',
      headers: { cookie: sessionCookie(jar), 'x-verdict-console': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'bob-made' }),
    });
    expect(create.status).toBe(403);
    expect(await create.json()).toMatchObject({ code: 'forbidden', role: 'deployer' });
    // A cookie-authenticated write without the console header is still refused (cross-site requests).
    const noHeader = await fetch(`${server.url}/api/session`, { method: 'DELETE', headers: { cookie: sessionCookie(jar) } });
    expect(noHeader.status).toBe(403);
  });

  it('lets a member of the approver group approve a deployment request, and nobody outside it', async () => {
    // prod needs one approval from the release-managers group: bob (SSO, in it) approves; an admin API token (no groups) cannot.
    await server.request('POST', '/api/projects', { body: { key: 'governed' } });
    await server.request('PUT', '/api/projects/governed/decisions/d', {
      body: { content: { nodes: [{ id: 'i', type: 'inputNode', name: 'In', position: { x: 0, y: 0 } }, { id: 'o', type: 'outputNode', name: 'Out', position: { x: 200, y: 0 } }], edges: [{ id: 'e', sourceId: 'i', targetId: 'o', type: 'edge' }] } },
    });
    await server.request('POST', '/api/projects/governed/releases', { body: {} });
    await server.request('POST', '/api/projects/governed/environments', { body: { key: 'prod', requiredApprovals: 1, approverGroup: 'release-managers' } });
    const asked = await server.request('POST', '/api/projects/governed/environments/prod/deployments', { token: await server.tokenFor('deployer'), body: { release: 'v1' } });
    expect(asked.status).toBe(202);
    const id = asked.body.request.id;
    const byToken = await server.request('POST', `/api/projects/governed/deployment-requests/${id}/approve`, { body: {} });
    expect(byToken.status).toBe(403);
    expect(byToken.body.detail).toMatch(/members of group 'release-managers'/);

    const jar = new CookieJar();
    await signInFlow(server.url, 'bob', jar);
    const approved = await fetch(`${server.url}/api/projects/governed/deployment-requests/${id}/approve`, {
      method: 'POST',
      headers: { cookie: sessionCookie(jar), 'x-verdict-console': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'approved through SSO' }),
    });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'deployed', reviews: [{ reviewer: 'bob@example.com', verdict: 'approve' }] });
    expect((await server.request('GET', '/api/projects/governed/environments/prod')).body.current).toMatchObject({ releaseLabel: 'v1', deployedBy: 'bob@example.com' });
  });

  it('takes the highest role of several groups, editor over deployer', async () => {
    const jar = new CookieJar();
    expect((await signInFlow(server.url, 'dave', jar)).response.status).toBe(302);
    expect(await (await fetch(`${server.url}/api/session`, { headers: { cookie: sessionCookie(jar) } })).json()).toMatchObject({ role: 'editor' });
  });

  it('refuses carol, whose groups map to no role: a problem for scripts, the sign-in screen for browsers', async () => {
    const jar = new CookieJar();
    const { response } = await signInFlow(server.url, 'carol', jar);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'forbidden', failure: 'no-role', detail: expect.stringMatching(/carol@example.com .*marketing.*VERDICT_OIDC_ROLE_MAP/) });
    expect(jar.get('verdict_session')).toBeUndefined();
    const page = await signInFlow(server.url, 'carol', new CookieJar(), { accept: 'text/html' });
    expect(page.response.status).toBe(302);
    expect(page.landed).toBe('/sign-in?sso_error=no-role');
  });

  it('signs out: the session is revoked on the server, so the cookie no longer works', async () => {
    const jar = new CookieJar();
    await signInFlow(server.url, 'alice', jar);
    const cookie = sessionCookie(jar);
    expect((await fetch(`${server.url}/api/session`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${server.url}/api/session`, { method: 'DELETE', headers: { cookie, 'x-verdict-console': '1' } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^verdict_session=;.*Max-Age=0/);
    // A copy of the cookie kept elsewhere (a stolen one) is dead too.
    const after = await fetch(`${server.url}/api/session`, { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ detail: expect.stringMatching(/session has ended/) });
    const signOuts = await server.request('GET', '/api/audit?action=console-session.sign-out');
    expect(signOuts.body.entries[0]).toMatchObject({ actor: 'alice@example.com' });
  });

  it('ends a session at its expiry', async () => {
    const jar = new CookieJar();
    await signInFlow(server.url, 'bob', jar);
    const cookie = sessionCookie(jar);
    expect((await fetch(`${server.url}/api/session`, { headers: { cookie } })).status).toBe(200);
    await server.db.sql`UPDATE console_sessions SET created_at = now() - interval '9 hours', expires_at = now() - interval '1 hour' WHERE subject = ${`user:${provider.issuer}#bob`}`;
    expect((await fetch(`${server.url}/api/session`, { headers: { cookie } })).status).toBe(401);
  });

  it('does not take a session secret as a bearer token', async () => {
    const jar = new CookieJar();
    await signInFlow(server.url, 'alice', jar);
    const res = await fetch(`${server.url}/api/projects`, { headers: { authorization: `Bearer ${jar.get('verdict_session')}` } });
    expect(res.status).toBe(401);
  });

  describe('refuses ID tokens that fail a check (the real token, rewritten on its way from the provider)', () => {
    const refusedWith = async (rewrite: (idToken: string) => string) => {
      const before = provider.tokenResponses;
      provider.tamperNextIdToken(rewrite);
      const jar = new CookieJar();
      const { response } = await signInFlow(server.url, 'alice', jar);
      // The rewrite really happened on a real token response.
      expect(provider.tokenResponses).toBe(before + 1);
      return { response, jar };
    };

    it('accepts the token re-signed unchanged with the provider key (so the refusals below are about the one claim changed)', async () => {
      const { response, jar } = await refusedWith((jwt) => resign(jwt, provider.privateKey, (claims) => claims));
      expect(response.status).toBe(302);
      expect(jar.get('verdict_session')).toMatch(/^vrd_sso_/);
    });

    it('refuses a token whose signature was tampered with (one bit)', async () => {
      const { response, jar } = await refusedWith(flipSignatureBit);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'unauthorized', failure: 'invalid-token', detail: expect.stringMatching(/signature/i) });
      expect(jar.get('verdict_session')).toBeUndefined();
    });

    it('refuses a token with changed claims under the old signature', async () => {
      const { response } = await refusedWith((jwt) => {
        const [header, , signature] = jwt.split('.');
        const payload = Buffer.from(JSON.stringify({ ...jwtClaims(jwt), sub: 'mallory' })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ failure: 'invalid-token', detail: expect.stringMatching(/signature/i) });
    });

    it('refuses a token signed by a key the provider does not publish', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const { response } = await refusedWith((jwt) => resign(jwt, privateKey, (claims) => claims));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ failure: 'invalid-token' });
    });

    it('refuses an expired token (validly signed by the provider key)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const { response } = await refusedWith((jwt) => resign(jwt, provider.privateKey, (claims) => ({ ...claims, iat: now - 3600, exp: now - 120 })));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ failure: 'invalid-token', detail: expect.stringMatching(/"exp"|expired|timestamp/i) });
    });

    it('refuses a token minted for another client (wrong audience, validly signed)', async () => {
      const { response } = await refusedWith((jwt) => resign(jwt, provider.privateKey, (claims) => ({ ...claims, aud: 'another-client', azp: undefined })));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ failure: 'invalid-token', detail: expect.stringMatching(/"aud"|audience/i) });
    });

    it('refuses a token from another issuer and one for another sign-in (nonce)', async () => {
      const issuer = await refusedWith((jwt) => resign(jwt, provider.privateKey, (claims) => ({ ...claims, iss: 'https://evil.example' })));
      expect(issuer.response.status).toBe(401);
      expect(await issuer.response.json()).toMatchObject({ failure: 'invalid-token', detail: expect.stringMatching(/"iss"|issuer/i) });
      const nonce = await refusedWith((jwt) => resign(jwt, provider.privateKey, (claims) => ({ ...claims, nonce: 'another-sign-in' })));
      expect(nonce.response.status).toBe(401);
      expect(await nonce.response.json()).toMatchObject({ failure: 'invalid-token', detail: expect.stringMatching(/nonce/i) });
    });
  });

  it('refuses a callback this browser did not start (no login cookie, or another state)', async () => {
    const none = await fetch(`${server.url}/api/auth/oidc/callback?code=abc&state=xyz`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ failure: 'invalid-state' });
    // A real login cookie with another sign-in's state.
    const jar = new CookieJar();
    const login = await fetch(`${server.url}/api/auth/oidc/login`, { redirect: 'manual' });
    jar.store(login);
    const other = await fetch(`${server.url}/api/auth/oidc/callback?code=abc&state=not-the-one&iss=${encodeURIComponent(provider.issuer)}`, { headers: { cookie: jar.header() } });
    expect(other.status).toBe(401);
    expect(await other.json()).toMatchObject({ failure: 'invalid-token', detail: expect.stringMatching(/state/) });
    // A forged login cookie.
    const forged = await fetch(`${server.url}/api/auth/oidc/callback?code=abc&state=xyz`, { headers: { cookie: 'verdict_oidc=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(await forged.json()).toMatchObject({ failure: 'invalid-state' });
  });

  it('passes on the provider refusing (the person cancelled)', async () => {
    const jar = new CookieJar();
    const login = await fetch(`${server.url}/api/auth/oidc/login`, { redirect: 'manual' });
    jar.store(login);
    const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
    const res = await fetch(`${server.url}/api/auth/oidc/callback?error=access_denied&error_description=End-User+aborted&state=${state}&iss=${encodeURIComponent(provider.issuer)}`, {
      headers: { cookie: jar.header() },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ failure: 'provider-refused', detail: expect.stringMatching(/access_denied/) });
  });
});

describe('single sign-on off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('says so, and its routes answer 404', async () => {
    expect(await (await fetch(`${server.url}/api/auth/config`)).json()).toEqual({ sso: { enabled: false, providerName: null, loginUrl: null } });
    expect((await fetch(`${server.url}/api/auth/oidc/login`, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(`${server.url}/api/auth/oidc/callback?code=a&state=b`, { redirect: 'manual' })).status).toBe(404);
  });
});
