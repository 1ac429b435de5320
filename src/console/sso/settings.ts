import { parseRoleMap, type RoleMap } from './role-map.js';

/** Single sign-on through an OpenID Connect provider (VERDICT_OIDC_*); see docs/sso.md. */
export interface OidcSettings {
  /** The issuer URL; its /.well-known/openid-configuration is read (discovery). */
  readonly issuer: string;
  readonly clientId: string;
  /** Authenticates Verdict at the token endpoint (client_secret_basic), and keys the login cookie. */
  readonly clientSecret: string;
  /** Where the provider sends the browser back: Verdict's public address + /api/auth/oidc/callback. */
  readonly redirectUrl: string;
  readonly scopes: readonly string[];
  /** The claim holding the groups (a dotted path reaches nested claims: realm_access.roles). */
  readonly roleClaim: string;
  readonly roleMap: RoleMap;
  /** Claims tried in turn for the name shown and written in the audit log; `sub` last. */
  readonly nameClaims: readonly string[];
  /** Shown on the sign-in button: "Sign in with <providerName>". */
  readonly providerName: string;
  /** How long a console session lasts from sign-in (absolute, not sliding). */
  readonly sessionTtlSeconds: number;
}

export const CALLBACK_PATH = '/api/auth/oidc/callback';
export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'groups'];
export const DEFAULT_NAME_CLAIMS = ['email', 'preferred_username', 'name'];
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 60 * 60;

type Env = Readonly<Record<string, string | undefined>>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function url(env: Env, name: string, fail: (message: string) => never): URL {
  const raw = env[name]!;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return fail(`${name} must be an absolute URL (got "${raw}")`);
  }
  // Plain HTTP only on this machine (a provider run locally, the tests): anywhere else the
  // provider's answers and the browser's redirect would cross the network unprotected.
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))) {
    return fail(`${name} must be an https:// URL (http:// only on 127.0.0.1 or localhost; got "${raw}")`);
  }
  if (parsed.search !== '' || parsed.hash !== '') return fail(`${name} must not have a query or fragment (got "${raw}")`);
  return parsed;
}

/**
 * Reads the VERDICT_OIDC_* variables: undefined when VERDICT_OIDC_ISSUER is unset (single
 * sign-on off). `fail` throws the configuration error with a one-line message.
 */
export function oidcSettingsFromEnv(env: Env, fail: (message: string) => never, sessionTtlSeconds: number): OidcSettings | undefined {
  const issuerRaw = env.VERDICT_OIDC_ISSUER?.trim();
  if (!issuerRaw) {
    const stray = Object.keys(env).filter((k) => k.startsWith('VERDICT_OIDC_') && env[k]);
    if (stray.length > 0) fail(`${stray.sort().join(', ')} set but VERDICT_OIDC_ISSUER is not: single sign-on needs the issuer too`);
    return undefined;
  }
  for (const name of ['VERDICT_OIDC_CLIENT_ID', 'VERDICT_OIDC_CLIENT_SECRET', 'VERDICT_OIDC_REDIRECT_URL', 'VERDICT_OIDC_ROLE_MAP']) {
    if (!env[name]?.trim()) fail(`${name} must be set with VERDICT_OIDC_ISSUER (see docs/sso.md)`);
  }
  url(env, 'VERDICT_OIDC_ISSUER', fail);
  const redirect = url(env, 'VERDICT_OIDC_REDIRECT_URL', fail);
  if (redirect.pathname !== CALLBACK_PATH) fail(`VERDICT_OIDC_REDIRECT_URL must end in ${CALLBACK_PATH}, Verdict's callback (got "${redirect.href}")`);
  const clientSecret = env.VERDICT_OIDC_CLIENT_SECRET!.trim();
  // The secret also keys the login cookie's encryption: a short one would be guessable.
  if (clientSecret.length < 16) fail('VERDICT_OIDC_CLIENT_SECRET must be at least 16 characters long');
  const scopes = (env.VERDICT_OIDC_SCOPES?.trim() || DEFAULT_SCOPES.join(' ')).split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) fail(`VERDICT_OIDC_SCOPES must include openid (got "${scopes.join(' ')}")`);
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(s))) fail('VERDICT_OIDC_SCOPES must be scope tokens separated by spaces');
  const roleClaim = env.VERDICT_OIDC_ROLE_CLAIM?.trim() || 'groups';
  const nameClaims = (env.VERDICT_OIDC_NAME_CLAIM?.trim() || DEFAULT_NAME_CLAIMS.join(',')).split(/[\s,]+/).filter(Boolean);
  for (const [name, claim] of [['VERDICT_OIDC_ROLE_CLAIM', roleClaim], ...nameClaims.map((c) => ['VERDICT_OIDC_NAME_CLAIM', c])] as const) {
    if (!/^[A-Za-z0-9_:/.-]{1,200}$/.test(claim)) fail(`${name} must be a claim name (letters, digits, _ : / . -; got "${claim}")`);
  }
  let roleMap: RoleMap;
  try {
    roleMap = parseRoleMap(env.VERDICT_OIDC_ROLE_MAP!);
  } catch (error) {
    return fail(`VERDICT_OIDC_ROLE_MAP: ${(error as Error).message}`);
  }
  const providerName = env.VERDICT_OIDC_PROVIDER_NAME?.trim() || 'SSO';
  if (providerName.length > 60) fail('VERDICT_OIDC_PROVIDER_NAME must be at most 60 characters');
  return Object.freeze({
    // Kept as given (trailing slash or not): discovery compares the provider's `issuer` with it exactly.
    issuer: issuerRaw,
    clientId: env.VERDICT_OIDC_CLIENT_ID!.trim(),
    clientSecret,
    redirectUrl: redirect.href,
    scopes: Object.freeze(scopes),
    roleClaim,
    roleMap: Object.freeze(roleMap),
    nameClaims: Object.freeze(nameClaims),
    providerName,
    sessionTtlSeconds,
  });
}
