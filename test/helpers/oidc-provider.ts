import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { parseRoleMap } from '../../src/console/sso/role-map.js';
import { CALLBACK_PATH, DEFAULT_NAME_CLAIMS, DEFAULT_SCOPES, DEFAULT_SESSION_TTL_SECONDS, type OidcSettings } from '../../src/console/sso/settings.js';
import { startTestServer, type TestServer } from './server.js';

/**
 * A real OpenID Connect provider (panva's oidc-provider, the certified implementation) on
 * 127.0.0.1, with its development login and consent pages: any password signs in an account by
 * its login name. The accounts' `groups` claim is what Verdict maps to roles.
 *
 * It sits behind a small HTTP relay of our own, whose address is the issuer. The relay passes
 * everything through unchanged, except that a test may ask it to rewrite the ID token in the next
 * token response: a network attacker (or a broken middlebox) between Verdict and a real
 * provider, to prove Verdict refuses what it must. The provider itself is never replaced.
 */
export interface TestAccount {
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
}

export interface TestProvider {
  /** The issuer (the relay's address). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The provider's signing key (its JWKS holds the public half): tests re-sign tokens with it. */
  readonly privateKey: KeyObject;
  /** Rewrites the ID token of the next token response (once). */
  tamperNextIdToken(rewrite: (idToken: string) => string): void;
  /** Token responses relayed so far (to check a rewrite happened). */
  readonly tokenResponses: number;
  close(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** The relay's address first (Verdict needs the issuer to start), the provider once Verdict's callback is known. */
async function startRelay(): Promise<{ issuer: string; attach(accounts: Record<string, TestAccount>, redirectUri: string): Promise<TestProvider> }> {
  let upstream: string | undefined;
  let rewrite: ((idToken: string) => string) | undefined;
  let tokenResponses = 0;
  const relay = createServer((req, res) => {
    if (upstream === undefined) {
      res.writeHead(503).end('provider not started yet');
      return;
    }
    const target = new URL(req.url!, upstream);
    const forward = httpRequest(target, { method: req.method, headers: req.headers }, (answer: IncomingMessage) => {
      const isToken = req.method === 'POST' && target.pathname === '/token';
      if (!isToken) {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        tokenResponses++;
        let body = Buffer.concat(chunks);
        const change = rewrite;
        rewrite = undefined;
        if (change && answer.statusCode === 200) {
          const json = JSON.parse(body.toString('utf8')) as { id_token: string };
          json.id_token = change(json.id_token);
          body = Buffer.from(JSON.stringify(json));
        }
        const headers = { ...answer.headers, 'content-length': String(body.length) };
        res.writeHead(answer.statusCode!, headers).end(body);
      });
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  const issuer = await listen(relay);

  return {
    issuer,
    async attach(accounts, redirectUri) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
      const clientId = 'verdict-console';
      const clientSecret = 'verdict-console-test-secret-0123456789';
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        jwks: { keys: [jwk as never] },
        pkce: { required: () => true },
        // Explicit lifetimes (seconds), as a deployment sets them; the provider warns about defaults.
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
        scopes: ['openid', 'email', 'profile', 'groups'],
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
        cookies: { keys: ['test-provider-cookie-key-0123456789'] },
        features: { devInteractions: { enabled: true } },
        async findAccount(_ctx, id) {
          const account = accounts[id];
          if (!account) return undefined;
          return {
            accountId: id,
            async claims() {
              return { sub: id, email: account.email, email_verified: true, name: account.name, preferred_username: id, groups: [...account.groups] };
            },
          };
        },
      });
      // Its warnings about development-only settings are expected here.
      provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-provider server_error: ${String(error)}\n`));
      const server = createServer(provider.callback());
      upstream = await listen(server);
      return {
        issuer,
        clientId,
        clientSecret,
        privateKey,
        tamperNextIdToken(change) {
          rewrite = change;
        },
        get tokenResponses() {
          return tokenResponses;
        },
        async close() {
          await close(relay);
          await close(server);
        },
      };
    },
  };
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** The claims of a compact JWS (no check). */
export function jwtClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The same token with `change` applied to its claims, signed again (RS256) with `key`. */
export function resign(jwt: string, key: KeyObject, change: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [header] = jwt.split('.');
  const payload = b64(JSON.stringify(change(jwtClaims(jwt))));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${b64(signature)}`;
}

/** The same token with one bit of its signature flipped. */
export function flipSignatureBit(jwt: string): string {
  const [header, payload, signature] = jwt.split('.');
  const bytes = Buffer.from(signature!, 'base64url');
  bytes[10]! ^= 0x01;
  return `${header}.${payload}.${b64(bytes)}`;
}

/** A browser's cookie jar, enough for one origin host (cookies ignore ports, as browsers do). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface FlowResult {
  /** Verdict's last answer (the callback's redirect or problem). */
  readonly response: Response;
  /** Where Verdict sent the browser in the end (a console path), if it redirected. */
  readonly landed: string | undefined;
  /** The authorization request Verdict made (to read its parameters). */
  readonly authorizationUrl: URL;
}

/**
 * Drives a sign-in the way a browser would, over real HTTP: Verdict's login route, the provider's
 * login and consent forms (submitted as a person would), and back to Verdict's callback.
 */
export async function signInFlow(verdictUrl: string, login: string, jar: CookieJar, options: { accept?: string; next?: string } = {}): Promise<FlowResult> {
  const accept = options.accept ?? 'application/json';
  let url = new URL(`/api/auth/oidc/login${options.next ? `?next=${encodeURIComponent(options.next)}` : ''}`, verdictUrl);
  let init: RequestInit = { method: 'GET' };
  let authorizationUrl: URL | undefined;
  for (let step = 0; step < 20; step++) {
    const onVerdict = url.origin === new URL(verdictUrl).origin;
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header(), accept: onVerdict ? accept : 'text/html' } });
    jar.store(res);
    init = { method: 'GET' };
    const location = res.headers.get('location');
    if (onVerdict && url.pathname !== '/api/auth/oidc/login') {
      return { response: res, landed: location ?? undefined, authorizationUrl: authorizationUrl! };
    }
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      authorizationUrl ??= url;
      continue;
    }
    if (onVerdict) return { response: res, landed: undefined, authorizationUrl: authorizationUrl! };
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action || !prompt) throw new Error(`unexpected provider page (${res.status}) at ${url.href}: ${html.slice(0, 500)}`);
    const form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt });
    url = new URL(action.replace(/&amp;/g, '&'), url);
    init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('the sign-in did not come back to Verdict within 20 steps');
}

/**
 * A Verdict test server signing in through a test provider. The issuer's address must exist
 * before Verdict starts, and Verdict's callback before the provider registers the client: the
 * relay first, then Verdict, then the provider.
 */
export async function startSsoServer(
  accounts: Record<string, TestAccount>,
  options: { roleMap: string; providerName?: string },
): Promise<{ server: TestServer; provider: TestProvider; close(): Promise<void> }> {
  const relay = await startRelay();
  // The redirect URL names Verdict's own port, known once it listens: filled in then (it is read
  // only when a sign-in starts).
  const settings: { -readonly [K in keyof OidcSettings]: OidcSettings[K] } = {
    issuer: relay.issuer,
    clientId: 'verdict-console',
    clientSecret: 'verdict-console-test-secret-0123456789',
    redirectUrl: 'http://127.0.0.1:1/api/auth/oidc/callback',
    scopes: DEFAULT_SCOPES,
    roleClaim: 'groups',
    roleMap: parseRoleMap(options.roleMap),
    nameClaims: DEFAULT_NAME_CLAIMS,
    providerName: options.providerName ?? 'SSO',
    sessionTtlSeconds: DEFAULT_SESSION_TTL_SECONDS,
  };
  const server = await startTestServer({ oidc: settings });
  settings.redirectUrl = `${server.url}${CALLBACK_PATH}`;
  const provider = await relay.attach(accounts, settings.redirectUrl);
  return {
    server,
    provider,
    async close() {
      await server.close();
      await provider.close();
    },
  };
}
