import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseRoleMap, roleFor } from '../../src/console/sso/role-map.js';
import { safeNext } from '../../src/console/sso/routes.js';
import { TransactionCookie } from '../../src/console/sso/transaction-cookie.js';

const BASE = {
  VERDICT_OIDC_ISSUER: 'https://login.example.com/realms/verdict',
  VERDICT_OIDC_CLIENT_ID: 'verdict',
  VERDICT_OIDC_CLIENT_SECRET: 'a-client-secret-of-some-length',
  VERDICT_OIDC_REDIRECT_URL: 'https://verdict.example.com/api/auth/oidc/callback',
  VERDICT_OIDC_ROLE_MAP: 'rules-admins=admin, rules-authors=editor,release-managers=deployer,*=viewer',
};
const load = (env: Record<string, string>) => loadConfig(env, '/tmp').oidc;
const refused = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toMatch(/\n/);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('single sign-on configuration', () => {
  it('is off without an issuer, and reads every setting with its default', () => {
    expect(load({})).toBeUndefined();
    expect(load(BASE)).toMatchObject({
      issuer: BASE.VERDICT_OIDC_ISSUER,
      clientId: 'verdict',
      scopes: ['openid', 'email', 'profile', 'groups'],
      roleClaim: 'groups',
      nameClaims: ['email', 'preferred_username', 'name'],
      providerName: 'SSO',
      sessionTtlSeconds: 28_800,
      roleMap: [
        { group: 'rules-admins', role: 'admin' },
        { group: 'rules-authors', role: 'editor' },
        { group: 'release-managers', role: 'deployer' },
        { group: '*', role: 'viewer' },
      ],
    });
    expect(load({ ...BASE, VERDICT_OIDC_SCOPES: 'openid profile', VERDICT_OIDC_ROLE_CLAIM: 'realm_access.roles', VERDICT_OIDC_NAME_CLAIM: 'preferred_username', VERDICT_OIDC_SESSION_TTL_SECONDS: '3600' })).toMatchObject({
      scopes: ['openid', 'profile'],
      roleClaim: 'realm_access.roles',
      nameClaims: ['preferred_username'],
      sessionTtlSeconds: 3600,
    });
    // Plain HTTP on this machine only (a local provider).
    expect(load({ ...BASE, VERDICT_OIDC_ISSUER: 'http://127.0.0.1:9000', VERDICT_OIDC_REDIRECT_URL: 'http://localhost:8080/api/auth/oidc/callback' })?.issuer).toBe('http://127.0.0.1:9000');
  });

  it('refuses incomplete or wrong settings with one line', () => {
    const { VERDICT_OIDC_CLIENT_ID: _, ...noClient } = BASE;
    expect(refused(noClient)).toMatch(/VERDICT_OIDC_CLIENT_ID must be set/);
    expect(refused({ VERDICT_OIDC_CLIENT_ID: 'x' })).toMatch(/VERDICT_OIDC_CLIENT_ID set but VERDICT_OIDC_ISSUER is not/);
    expect(refused({ ...BASE, VERDICT_OIDC_ISSUER: 'http://login.example.com' })).toMatch(/must be an https:\/\/ URL/);
    expect(refused({ ...BASE, VERDICT_OIDC_ISSUER: 'not a url' })).toMatch(/absolute URL/);
    expect(refused({ ...BASE, VERDICT_OIDC_REDIRECT_URL: 'https://verdict.example.com/callback' })).toMatch(/must end in \/api\/auth\/oidc\/callback/);
    expect(refused({ ...BASE, VERDICT_OIDC_CLIENT_SECRET: 'short' })).toMatch(/at least 16/);
    expect(refused({ ...BASE, VERDICT_OIDC_SCOPES: 'email groups' })).toMatch(/must include openid/);
    expect(refused({ ...BASE, VERDICT_OIDC_ROLE_MAP: 'rules-admins=root' })).toMatch(/VERDICT_OIDC_ROLE_MAP: entry "rules-admins=root": role must be one of admin, editor, deployer, viewer/);
    expect(refused({ ...BASE, VERDICT_OIDC_ROLE_MAP: 'a=admin,a=viewer' })).toMatch(/listed twice/);
    expect(refused({ ...BASE, VERDICT_OIDC_ROLE_MAP: ' , ' })).toMatch(/maps no group/);
    expect(refused({ ...BASE, VERDICT_OIDC_SESSION_TTL_SECONDS: '10' })).toMatch(/VERDICT_OIDC_SESSION_TTL_SECONDS must be an integer between 300/);
  });

  it('maps groups to the highest role, and nobody without a match', () => {
    const map = parseRoleMap('rules-admins=admin,rules-authors=editor,release-managers=deployer,/org/a=b=viewer');
    expect(roleFor(map, ['release-managers', 'rules-admins'])).toBe('admin');
    expect(roleFor(map, ['release-managers', 'rules-authors'])).toBe('editor');
    expect(roleFor(map, ['release-managers'])).toBe('deployer');
    expect(roleFor(map, ['/org/a=b'])).toBe('viewer');
    expect(roleFor(map, ['marketing'])).toBeUndefined();
    expect(roleFor(parseRoleMap('*=viewer,x=editor'), [])).toBe('viewer');
  });

  it('lands only on console paths after signing in', () => {
    expect(safeNext('/projects/p/decisions/a/b?x=1')).toBe('/projects/p/decisions/a/b?x=1');
    for (const bad of [undefined, 'https://evil.example', '//evil.example', '/\\evil.example', '/api/tokens', 'projects', '/x\u0000y', `/${'a'.repeat(1001)}`]) {
      expect(safeNext(bad), String(bad)).toBe('/projects');
    }
  });

  it('keeps the login transaction sealed: unreadable, unforgeable, and short-lived', () => {
    const cookie = new TransactionCookie('a-client-secret-of-some-length');
    const transaction = { state: 'state-1', nonce: 'nonce-1', codeVerifier: 'verifier-1', next: '/projects', expiresAt: Math.floor(Date.now() / 1000) + 600 };
    const sealed = cookie.seal(transaction);
    expect(sealed).not.toMatch(/state-1|nonce-1|verifier-1/);
    expect(cookie.open(sealed)).toEqual(transaction);
    // Another server's secret, a flipped byte, an expired one, an oversized one: nothing.
    expect(new TransactionCookie('another-client-secret-0000').open(sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    expect(cookie.open(bytes.toString('base64url'))).toBeUndefined();
    expect(cookie.open(sealed, Date.now() + 601_000)).toBeUndefined();
    expect(cookie.open('A'.repeat(5000))).toBeUndefined();
  });
});
