import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { PERMISSIONS, allows, type Permission } from '../control-plane/api-tokens/roles.js';
import { RoleSchema } from '../control-plane/api-tokens/schemas.js';
import type { ConsoleSessionsService } from '../control-plane/console-sessions/service.js';
import { clearSessionCookie, presentedApiToken, setSessionCookie } from './session-cookie.js';

const SessionSchema = Type.Object({
  name: Type.String({ description: 'Name of the API token, or of the person signed in through single sign-on' }),
  role: RoleSchema,
  tokenId: Type.Union([Type.String(), Type.Null()], { description: 'The API token (null for single sign-on)' }),
  via: Type.Union([Type.Literal('cookie'), Type.Literal('bearer'), Type.Literal('sso')], {
    description: "How this request was authenticated: an API token's cookie, the Authorization header, or a single-sign-on session",
  }),
  groups: Type.Array(Type.String(), { description: "The identity provider's groups (single sign-on; empty for API tokens)" }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When a single-sign-on session ends (null for API tokens)' }),
  permissions: Type.Array(Type.String(), { description: "What the role may do (the console shows only those buttons; the server checks each request anyway)" }),
});

const tags = ['console'];

export interface SessionRoutesOptions {
  readonly sessions: ConsoleSessionsService;
}

/**
 * The console's sign-in. Every route here takes the API token the way every other API route does
 * (`Authorization: Bearer`, or the cookie), so authentication still comes before anything about
 * the request and no /api route is open to anonymous callers. (Single sign-on starts elsewhere,
 * sso/routes.ts, and ends here: GET describes its sessions, DELETE revokes them.)
 */
export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (app, { sessions }) => {
  const describe = (request: FastifyRequest) => ({
    name: request.actor.name,
    role: request.actor.role,
    tokenId: request.actor.tokenId,
    via: request.consoleSession ? ('sso' as const) : (presentedApiToken(request)?.via ?? ('bearer' as const)),
    groups: [...request.actor.groups],
    expiresAt: request.consoleSession?.expiresAt.toISOString() ?? null,
    permissions: (Object.keys(PERMISSIONS) as Permission[]).filter((permission) => allows(request.actor.role, permission)),
  });

  app.post(
    '/api/session',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Sign in to the web console: exchange the API token for a session cookie',
        description:
          'Send the API token as `Authorization: Bearer <token>`; the answer sets an HttpOnly, SameSite=Strict cookie (Secure over HTTPS, 8 hours) that authenticates later requests like the token. Cookie-authenticated writes need the `X-Verdict-Console` header.',
        response: { 200: SessionSchema },
      },
    },
    (request, reply) => {
      // A single-sign-on session keeps its cookie (and its own expiry).
      if (!request.consoleSession) setSessionCookie(request, reply, presentedApiToken(request)!.token);
      return describe(request);
    },
  );

  app.get(
    '/api/session',
    { config: { permission: 'read' }, schema: { tags, summary: 'Who is signed in (the token or single-sign-on session behind the cookie, or the Authorization header)', response: { 200: SessionSchema } } },
    (request) => describe(request),
  );

  app.delete(
    '/api/session',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Sign out of the web console',
        description:
          'The browser forgets the cookie. A single-sign-on session is also revoked on the server, on every node. An API token stays valid (revoke it with DELETE /api/tokens/{id} to end every use of it).',
        response: { 204: Type.Null({ description: 'Signed out' }) },
      },
    },
    async (request, reply) => {
      if (request.consoleSession) await sessions.revoke(request.actor, request.consoleSession);
      clearSessionCookie(request, reply);
      return reply.status(204).send(null);
    },
  );
};
