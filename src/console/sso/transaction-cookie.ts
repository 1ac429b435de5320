import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse, serialize } from 'cookie';
import { overHttps } from '../session-cookie.js';

/**
 * What a sign-in must remember between sending the browser to the provider and its return: the
 * `state` (this browser started it), the `nonce` (the ID token was minted for this sign-in), the
 * PKCE verifier (only we can redeem the code) and where to land afterwards.
 */
export interface LoginTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** A path of the console (never an absolute URL). */
  readonly next: string;
  /** Epoch seconds after which the transaction is refused. */
  readonly expiresAt: number;
}

export const TRANSACTION_COOKIE = 'verdict_oidc';
/** Time to sign in at the provider (a password manager, a second factor). */
export const TRANSACTION_TTL_SECONDS = 10 * 60;
/** Well below browsers' 4 KB per cookie; anything bigger is not ours. */
const MAX_COOKIE_LENGTH = 2048;
const PATH = '/api/auth/oidc';

/**
 * Kept in the browser rather than the database: an anonymous caller hitting the login route
 * writes nothing server-side, and any node can finish a sign-in another node started. Encrypted
 * and authenticated (AES-256-GCM) with a key derived from the client secret, which every node has:
 * the browser can neither read the verifier nor forge a transaction.
 */
export class TransactionCookie {
  readonly #key: Buffer;

  constructor(clientSecret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', clientSecret, 'verdict', 'oidc login transaction cookie v1', 32));
  }

  seal(transaction: LoginTransaction): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The transaction a cookie value holds, or undefined (absent, too big, forged, expired). */
  open(value: string | undefined, now = Date.now()): LoginTransaction | undefined {
    if (value === undefined || value.length > MAX_COOKIE_LENGTH) return undefined;
    const raw = Buffer.from(value, 'base64url');
    if (raw.length < 12 + 16 + 2) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const json = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const parsed = JSON.parse(json) as LoginTransaction;
      return parsed.expiresAt * 1000 > now ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  read(request: FastifyRequest, now?: number): LoginTransaction | undefined {
    const cookies = request.headers.cookie;
    return cookies === undefined ? undefined : this.open(parse(cookies)[TRANSACTION_COOKIE], now);
  }

  /**
   * SameSite=Lax, unlike the session cookie: the browser must send it on the provider's redirect
   * back, a top-level navigation from another site. It only ever proves "this browser started
   * this sign-in", on one path.
   */
  set(request: FastifyRequest, reply: FastifyReply, transaction: LoginTransaction): void {
    reply.header(
      'set-cookie',
      serialize(TRANSACTION_COOKIE, this.seal(transaction), { httpOnly: true, sameSite: 'lax', secure: overHttps(request), path: PATH, maxAge: TRANSACTION_TTL_SECONDS }),
    );
  }

  clear(request: FastifyRequest, reply: FastifyReply): void {
    reply.header('set-cookie', serialize(TRANSACTION_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: overHttps(request), path: PATH, maxAge: 0 }));
  }
}
