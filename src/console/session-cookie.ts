import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse, serialize } from 'cookie';
import { AppError } from '../errors.js';

/**
 * The console's session cookie, out of reach of scripts (HttpOnly). It holds either the API token
 * itself (signed in with a token) or a single-sign-on session's secret (`vrd_sso_...`, looked up
 * in console_sessions).
 */
export const SESSION_COOKIE = 'verdict_session';

/**
 * What the console sends on every request. A cross-site page can make a browser send the cookie
 * only on "simple" requests, and a custom header makes a request non-simple: it needs a CORS
 * preflight, which Verdict never grants. So a cookie-authenticated write without it is refused.
 */
export const CONSOLE_HEADER = 'x-verdict-console';

/** A working day: after it the browser forgets the cookie and the console asks for the token again. */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface PresentedToken {
  readonly token: string;
  readonly via: 'bearer' | 'cookie';
}

/**
 * The API token a management request carries: the Authorization header when there is one (a
 * malformed header is not rescued by a cookie), else the console's session cookie.
 */
export function presentedApiToken(request: FastifyRequest): PresentedToken | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? { token: match[1]!, via: 'bearer' } : undefined;
  }
  const cookies = request.headers.cookie;
  if (cookies === undefined) return undefined;
  const token = parse(cookies)[SESSION_COOKIE];
  if (token === undefined || token === '') return undefined;
  if (!SAFE_METHODS.has(request.method) && request.headers[CONSOLE_HEADER] === undefined) {
    throw new AppError('forbidden', `a console session may only change things with the ${CONSOLE_HEADER} header (cross-site request protection); scripts send an Authorization header instead`);
  }
  return { token, via: 'cookie' };
}

/** Secure when the browser reached us over HTTPS, directly or through a TLS-terminating proxy. */
export function overHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return request.protocol === 'https' || first === 'https';
}

/**
 * SameSite=Strict for single sign-on too: the cookie is set on the answer to the provider's
 * cross-site redirect, which browsers allow, and only sent by the console's own requests after.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds = SESSION_MAX_AGE_SECONDS): void {
  reply.header('set-cookie', serialize(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: overHttps(request), path: '/api', maxAge: maxAgeSeconds }));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', secure: overHttps(request), path: '/api', maxAge: 0 }));
}
