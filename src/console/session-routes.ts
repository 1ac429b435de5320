import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PERMISSIONS, allows, type Permission } from '../control-plane/api-tokens/roles.js';
import { RoleSchema } from '../control-plane/api-tokens/schemas.js';
import { clearSessionCookie, presentedApiToken, setSessionCookie } from './session-cookie.js';

const SessionSchema = Type.Object({
  name: Type.String({ description: 'Name of the API token' }),
  role: RoleSchema,
  tokenId: Type.Union([Type.String(), Type.Null()]),
  via: Type.Union([Type.Literal('cookie'), Type.Literal('bearer')], { description: 'How this request was authenticated' }),
  permissions: Type.Array(Type.String(), { description: "What the token's role may do (the console shows only those buttons; the server checks each request anyway)" }),
});

const tags = ['console'];

/**
 * The console's sign-in. Every route here takes the API token the way every other API route does
 * (`Authorization: Bearer`, or the cookie), so authentication still comes before anything about
 * the request and no /api route is open to anonymous callers.
 */
export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const describe = (request: Parameters<typeof presentedApiToken>[0]) => ({
    name: request.actor.name,
    role: request.actor.role,
    tokenId: request.actor.tokenId,
    via: presentedApiToken(request)?.via ?? ('bearer' as const),
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
      setSessionCookie(request, reply, presentedApiToken(request)!.token);
      return describe(request);
    },
  );

  app.get(
    '/api/session',
    { config: { permission: 'read' }, schema: { tags, summary: 'Who is signed in (the token behind the cookie or the Authorization header)', response: { 200: SessionSchema } } },
    (request) => describe(request),
  );

  app.delete(
    '/api/session',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Sign out of the web console: the browser forgets the cookie',
        description: 'The token stays valid (revoke it with DELETE /api/tokens/{id} to end every use of it).',
        response: { 204: Type.Null({ description: 'Signed out' }) },
      },
    },
    async (request, reply) => {
      clearSessionCookie(request, reply);
      return reply.status(204).send(null);
    },
  );
};
