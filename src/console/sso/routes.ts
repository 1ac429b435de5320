import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, type ProblemCode } from '../../errors.js';
import type { ConsoleSessionsService } from '../../control-plane/console-sessions/service.js';
import { setSessionCookie } from '../session-cookie.js';
import { SignInError, type OidcSignIn, type SignInFailure } from './oidc.js';
import { TransactionCookie } from './transaction-cookie.js';

export interface SsoRoutesOptions {
  /** Undefined when single sign-on is not configured: the routes exist (one API document) and say so. */
  readonly sso: OidcSignIn | undefined;
  readonly sessions: ConsoleSessionsService;
}

const tags = ['console'];

export const LOGIN_PATH = '/api/auth/oidc/login';

/** Where a person lands after signing in: a path of the console, never another site or the API. */
export function safeNext(next: string | undefined): string {
  if (next === undefined || next.length > 1000) return '/projects';
  const control = [...next].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f');
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /^\/api(?:[/?]|$)/.test(next) || control) return '/projects';
  return next;
}

const PROBLEM_OF: Record<SignInFailure, ProblemCode> = {
  unavailable: 'identity-provider-unavailable',
  'invalid-state': 'unauthorized',
  'provider-refused': 'unauthorized',
  'invalid-token': 'unauthorized',
  'no-role': 'forbidden',
  'claims-too-large': 'forbidden',
};

const wantsPage = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

/**
 * A refused sign-in: a browser goes back to the sign-in screen, which names the reason from the
 * code alone (no text from the request is reflected into the page); other callers get the
 * problem document with the detail. Either way the server log has the detail.
 */
function refuse(request: FastifyRequest, reply: FastifyReply, error: SignInError): FastifyReply {
  request.log.warn({ reqId: request.id, failure: error.failure, err: error.cause ?? error }, `single sign-on refused: ${error.message}`);
  if (wantsPage(request)) return reply.redirect(`/sign-in?sso_error=${error.failure}`, 302);
  throw new AppError(PROBLEM_OF[error.failure], error.message, { failure: error.failure });
}

const notConfigured = () => new AppError('not-found', 'single sign-on is not configured on this server (VERDICT_OIDC_ISSUER)');

/**
 * Single sign-on (OpenID Connect, authorization code + PKCE). These routes are reached by
 * anonymous browsers by design ('sign-in'): the provider's signed ID token is what authenticates
 * the person, and only then is a session made.
 */
export const ssoRoutes: FastifyPluginAsyncTypebox<SsoRoutesOptions> = async (app, { sso, sessions }) => {
  const transactions = sso ? new TransactionCookie(sso.settings.clientSecret) : undefined;

  app.get(
    '/api/auth/config',
    {
      config: { permission: 'sign-in' },
      schema: {
        tags,
        security: [],
        summary: 'How one may sign in to the web console (for the sign-in screen)',
        response: {
          200: Type.Object({
            sso: Type.Object({
              enabled: Type.Boolean({ description: 'Whether single sign-on through an OpenID Connect provider is configured' }),
              providerName: Type.Union([Type.String(), Type.Null()], { description: 'What the sign-in button calls the provider' }),
              loginUrl: Type.Union([Type.String(), Type.Null()], { description: 'Where the browser goes to sign in (add ?next=<console path>)' }),
            }),
          }),
        },
      },
    },
    () => ({ sso: { enabled: sso !== undefined, providerName: sso?.settings.providerName ?? null, loginUrl: sso ? LOGIN_PATH : null } }),
  );

  app.get(
    LOGIN_PATH,
    {
      config: { permission: 'sign-in' },
      schema: {
        tags,
        security: [],
        summary: 'Start a single sign-on: redirects the browser to the identity provider',
        description:
          'Sets a short-lived (10 minutes), HttpOnly, SameSite=Lax, encrypted cookie holding the state, nonce and PKCE verifier of this sign-in, and answers 302 to the provider. `next`: the console path to land on afterwards.',
        querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 1000 })) }),
        response: { 302: Type.Null({ description: 'To the identity provider' }) },
      },
    },
    async (request, reply) => {
      if (!sso || !transactions) throw notConfigured();
      // Sign-in answers carry one-time values (state, codes, cookies): never cached.
      reply.header('cache-control', 'no-store');
      try {
        const { url, transaction } = await sso.start(safeNext(request.query.next));
        transactions.set(request, reply, transaction);
        return reply.redirect(url.href, 302);
      } catch (error) {
        if (error instanceof SignInError) return refuse(request, reply, error);
        throw error;
      }
    },
  );

  app.get(
    '/api/auth/oidc/callback',
    {
      config: { permission: 'sign-in' },
      schema: {
        tags,
        security: [],
        summary: "The identity provider's redirect back: finishes the sign-in and starts a console session",
        description:
          'Checks the state against the login cookie, redeems the code with the PKCE verifier, validates the ID token (signature, issuer, audience, expiry, nonce), maps the role claim to a role, stores a session and sets the HttpOnly session cookie, then redirects to the console. A refused sign-in redirects a browser to `/sign-in?sso_error=<reason>`; other callers get a problem document.',
        // What providers send back (RFC 6749 4.1.2, RFC 9207); bounded, otherwise passed as is to the checks.
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 4096 })),
            state: Type.Optional(Type.String({ maxLength: 512 })),
            iss: Type.Optional(Type.String({ maxLength: 2048 })),
            error: Type.Optional(Type.String({ maxLength: 256 })),
            error_description: Type.Optional(Type.String({ maxLength: 2048 })),
          },
          { additionalProperties: true },
        ),
        response: { 302: Type.Null({ description: 'To the console, signed in (or to the sign-in screen with the reason)' }) },
      },
    },
    async (request, reply) => {
      if (!sso || !transactions) throw notConfigured();
      // Sign-in answers carry one-time values (state, codes, cookies): never cached.
      reply.header('cache-control', 'no-store');
      // The login cookie has done its work whatever happens next: one use only.
      const transaction = transactions.read(request);
      transactions.clear(request, reply);
      try {
        if (!transaction) throw new SignInError('invalid-state', 'no sign-in was started in this browser, or it took longer than 10 minutes: start again');
        const query = request.url.slice(request.url.indexOf('?') + 1);
        const user = await sso.finish(request.url.includes('?') ? query : '', transaction);
        const { secret, session } = await sessions.create(user, sso.settings.sessionTtlSeconds, { requestId: request.id, ip: request.ip });
        request.log.info({ reqId: request.id, subject: session.subject, role: session.role }, 'signed in through single sign-on');
        setSessionCookie(request, reply, secret, sso.settings.sessionTtlSeconds);
        return reply.redirect(safeNext(transaction.next), 302);
      } catch (error) {
        if (error instanceof SignInError) return refuse(request, reply, error);
        throw error;
      }
    },
  );
};
