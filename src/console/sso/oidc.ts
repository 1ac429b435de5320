import * as client from 'openid-client';
import type { Role } from '../../lib/actor.js';
import { MAX_GROUP_LENGTH, roleFor } from './role-map.js';
import type { OidcSettings } from './settings.js';
import { TRANSACTION_TTL_SECONDS, type LoginTransaction } from './transaction-cookie.js';

/** Why a sign-in was refused: each has a sentence on the sign-in screen (?sso_error=<code>). */
export type SignInFailure =
  /** The provider could not be reached or its discovery document was unusable. */
  | 'unavailable'
  /** No login cookie, or a state that does not match it (another tab, an old link, a forged request). */
  | 'invalid-state'
  /** The provider answered the authorization request with an error (the user cancelled...). */
  | 'provider-refused'
  /** The token response or the ID token failed a check (signature, issuer, audience, expiry, nonce...). */
  | 'invalid-token'
  /** The person's groups map to no role. */
  | 'no-role'
  /** Claims beyond Verdict's bounds (too many groups, a huge name). */
  | 'claims-too-large';

export class SignInError extends Error {
  override name = 'SignInError';
  constructor(
    readonly failure: SignInFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Who signed in, checked and mapped. */
export interface VerifiedUser {
  readonly issuer: string;
  readonly subject: string;
  readonly name: string;
  readonly role: Role;
  readonly groups: readonly string[];
}

/** Most groups kept from the claims (Entra ID sends at most 200 in a token before it switches to an overage link). */
export const MAX_GROUPS = 256;
const MAX_NAME_LENGTH = 200;
/** The provider's metadata is read again after this long (keys rotate through the JWKS cache anyway). */
const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;
/** Seconds a call to the provider may take (discovery, token, userinfo, keys). */
const PROVIDER_TIMEOUT_SECONDS = 10;

/**
 * openid-client's errors say what kind of check failed ("unexpected JWT claim value
 * encountered"); the underlying cause says which ("unexpected JWT "aud" (audience) claim value"):
 * both, for the log and the problem document.
 */
function explain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 3; e = e.cause) {
    if (!parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || String(error);
}

/** A claim by name, or by dotted path into nested objects (Keycloak's realm_access.roles). */
function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function groupsFrom(value: unknown, claim: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (list === undefined) throw new SignInError('invalid-token', `the "${claim}" claim is neither a string nor a list`);
  if (list.length > MAX_GROUPS) throw new SignInError('claims-too-large', `the "${claim}" claim lists ${list.length} groups; at most ${MAX_GROUPS} are accepted`);
  const groups = list.filter((g): g is string => typeof g === 'string');
  const long = groups.find((g) => g.length > MAX_GROUP_LENGTH);
  if (long !== undefined) throw new SignInError('claims-too-large', `a group in "${claim}" is longer than ${MAX_GROUP_LENGTH} characters`);
  return [...new Set(groups)];
}

/**
 * The relying party: discovery, the authorization request (PKCE S256, state, nonce) and the code
 * exchange, all by openid-client. It checks the ID token's signature against the provider's JWKS
 * (enableNonRepudiationChecks: TLS alone would do for a token fetched from the token endpoint,
 * but checking the signature costs little and also covers a TLS-terminating middlebox), its
 * issuer, audience (and azp), exp/iat with 30 s of tolerance, and nonce.
 */
export class OidcSignIn {
  #configuration: Promise<client.Configuration> | undefined;
  #discoveredAt = 0;

  constructor(readonly settings: OidcSettings) {}

  /** The provider's metadata, discovered on first use and again each hour; a failure is retried on the next sign-in. */
  configuration(): Promise<client.Configuration> {
    if (this.#configuration === undefined || Date.now() - this.#discoveredAt > DISCOVERY_MAX_AGE_MS) {
      const { issuer, clientId, clientSecret } = this.settings;
      const insecure = new URL(issuer).protocol === 'http:'; // loopback only (settings.ts)
      const discovered = client.discovery(new URL(issuer), clientId, { client_secret: clientSecret }, client.ClientSecretBasic(clientSecret), {
        execute: insecure ? [client.enableNonRepudiationChecks, client.allowInsecureRequests] : [client.enableNonRepudiationChecks],
        timeout: PROVIDER_TIMEOUT_SECONDS,
      });
      this.#discoveredAt = Date.now();
      this.#configuration = discovered;
      discovered.catch(() => {
        if (this.#configuration === discovered) this.#configuration = undefined;
      });
    }
    return this.#configuration;
  }

  /** Starts a sign-in: the provider URL to send the browser to, and what its cookie must remember. */
  async start(next: string): Promise<{ url: URL; transaction: LoginTransaction }> {
    let configuration: client.Configuration;
    try {
      configuration = await this.configuration();
    } catch (error) {
      throw new SignInError('unavailable', `the identity provider ${this.settings.issuer} cannot be reached or described itself wrongly: ${explain(error)}`, { cause: error });
    }
    const codeVerifier = client.randomPKCECodeVerifier();
    const transaction: LoginTransaction = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      next,
      expiresAt: Math.floor(Date.now() / 1000) + TRANSACTION_TTL_SECONDS,
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUrl,
      scope: this.settings.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return { url, transaction };
  }

  /**
   * Finishes a sign-in from the callback's query string: checks the authorization response
   * against the transaction, redeems the code with the PKCE verifier, validates the ID token and
   * maps the groups to a role.
   */
  async finish(query: string, transaction: LoginTransaction): Promise<VerifiedUser> {
    let configuration: client.Configuration;
    try {
      configuration = await this.configuration();
    } catch (error) {
      throw new SignInError('unavailable', `the identity provider ${this.settings.issuer} cannot be reached: ${explain(error)}`, { cause: error });
    }
    // openid-client takes the redirect_uri for the token request from this URL: the configured one.
    const current = new URL(this.settings.redirectUrl);
    current.search = query;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError) {
        throw new SignInError('provider-refused', `the identity provider refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`, { cause: error });
      }
      if (error instanceof TypeError && (error.cause !== undefined || /fetch failed/.test(error.message))) {
        throw new SignInError('unavailable', `the identity provider ${this.settings.issuer} cannot be reached: ${explain(error)}`, { cause: error });
      }
      throw new SignInError('invalid-token', `the identity provider's answer was refused: ${explain(error)}`, { cause: error });
    }
    const idToken = tokens.claims()!;
    let claims: Record<string, unknown> = idToken;
    const wanted = [this.settings.roleClaim, ...this.settings.nameClaims];
    // Many providers keep groups and profile claims out of the ID token of a code flow (OIDC Core
    // 5.4) and serve them at the UserInfo endpoint: asked only then, for the same subject.
    if (wanted.some((claim) => claimAt(idToken, claim) === undefined) && configuration.serverMetadata().userinfo_endpoint) {
      try {
        const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
        claims = { ...userinfo, ...idToken };
      } catch (error) {
        throw new SignInError('invalid-token', `the identity provider's UserInfo answer was refused: ${explain(error)}`, { cause: error });
      }
    }
    const groups = groupsFrom(claimAt(claims, this.settings.roleClaim), this.settings.roleClaim);
    const name = this.settings.nameClaims.map((c) => claimAt(claims, c)).find((v): v is string => typeof v === 'string' && v.trim() !== '')?.trim() ?? idToken.sub;
    if (name.length > MAX_NAME_LENGTH) throw new SignInError('claims-too-large', `the name claim is longer than ${MAX_NAME_LENGTH} characters`);
    const role = roleFor(this.settings.roleMap, groups);
    if (role === undefined) {
      throw new SignInError('no-role', `${name} signed in, but none of their groups (${groups.length === 0 ? 'none' : groups.slice(0, 10).join(', ')}) maps to a role in VERDICT_OIDC_ROLE_MAP`);
    }
    return { issuer: idToken.iss, subject: `user:${idToken.iss}#${idToken.sub}`, name, role, groups };
  }
}
