import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Actor } from '../lib/actor.js';
import { allows, type Permission } from '../control-plane/api-tokens/roles.js';
import type { ApiTokensService, Authentication } from '../control-plane/api-tokens/service.js';
import { assertNever } from '../lib/assert-never.js';
import { isConsoleSessionSecret, sessionActor, type ConsoleSession, type ConsoleSessionsService } from '../control-plane/console-sessions/service.js';
import { noStore } from './security-headers.js';
import { presentedApiToken } from '../console/session-cookie.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * What the caller must be allowed to do. Every /api route declares one. 'evaluation' routes
     * authenticate evaluation tokens themselves, from memory.
     */
    permission?: Permission | 'public' | 'evaluation' | 'sign-in';
    /**
     * For public routes whose answer has more for some callers (health): a caller that sends an
     * API token is authenticated and must be allowed this; `request.actor` then says who it is.
     * Anonymous callers pass, with `request.actor` undefined.
     */
    details?: Permission;
  }
  interface FastifyRequest {
    actor: Actor;
    /** The single-sign-on session the request came with (its cookie), if any. */
    consoleSession: ConsoleSession | null;
  }
  interface FastifyInstance {
    /** Every management route and the permission it requires, in registration order. */
    routePermissions: RoutePermission[];
  }
}

export interface RoutePermission {
  readonly method: string;
  readonly url: string;
  readonly permission: Permission | 'evaluation' | 'sign-in';
}

/**
 * The only URLs that may declare 'sign-in': the single-sign-on flow, which anonymous browsers
 * must reach (to be sent to the identity provider and back), and that proves who they are itself.
 */
export const SIGN_IN_PREFIX = '/api/auth/';

export interface Authenticators {
  readonly apiTokens: ApiTokensService;
  readonly consoleSessions: ConsoleSessionsService;
}

/**
 * Bearer-token and console-session authentication and role-based authorisation. A route under
 * /api that does not declare a permission fails at start-up, so no route is left open by omission.
 */
export function registerAuth(app: FastifyInstance, authenticators: Authenticators): void {
  app.decorateRequest('actor', undefined as unknown as Actor);
  app.decorateRequest('consoleSession', null);
  const routes: RoutePermission[] = [];
  app.decorate('routePermissions', routes);

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const permission = (route.config as { permission?: Permission | 'public' | 'evaluation' | 'sign-in' } | undefined)?.permission;
    if (permission === undefined || permission === 'public') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no permission (config.permission)`);
    }
    if (permission === 'sign-in' && !route.url.startsWith(SIGN_IN_PREFIX)) {
      throw new Error(`route ${String(route.method)} ${route.url} declares 'sign-in', which only routes under ${SIGN_IN_PREFIX} may`);
    }
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, permission });
  });

  // A callback-style hook: routes that do not take API tokens (evaluation, health) pass through
  // synchronously, without the promise an async hook costs on every request.
  app.addHook('onRequest', (request, reply, done) => {
    const { permission, details } = request.routeOptions.config;
    if (permission === 'public' && details !== undefined && request.headers.authorization !== undefined) {
      return void authenticate(authenticators, request, reply, details).then(
        () => done(),
        (error: unknown) => {
          // A bad token is the caller's to fix (401/403). A token that cannot be checked now (the
          // database is down) gets the anonymous answer: health must not depend on the database.
          if (error instanceof AppError && error.status < 500) return done(error);
          request.log.info({ err: error, reqId: request.id }, 'API token not checked (database unavailable): anonymous answer');
          done();
        },
      );
    }
    if (permission === undefined || permission === 'public' || permission === 'evaluation' || permission === 'sign-in') return done();
    authenticate(authenticators, request, reply, permission).then(() => done(), done);
  });
}

async function authenticate(authenticators: Authenticators, request: FastifyRequest, reply: FastifyReply, permission: Permission): Promise<void> {
  // The bearer token, or the web console's session cookie (which holds one, or a single-sign-on
  // session's secret: same roles, same checks).
  const presented = presentedApiToken(request);
  if (!presented) {
    reply.header('www-authenticate', 'Bearer realm="verdict"');
    throw new AppError('unauthorized', 'send an API token in the Authorization header: "Authorization: Bearer <token>"');
  }
  if (isConsoleSessionSecret(presented.token)) return authenticateSession(authenticators.consoleSessions, request, reply, presented.token, presented.via, permission);
  const outcome = await authenticators.apiTokens.authenticate(presented.token);
  if (outcome.kind !== 'valid') {
    reply.header('www-authenticate', 'Bearer realm="verdict", error="invalid_token"');
    throw new AppError('unauthorized', refusal(outcome));
  }
  const token = outcome.token;
  if (!allows(token.role, permission)) {
    throw new AppError('forbidden', `role '${token.role}' (token '${token.name}') is not allowed to ${describe(permission)}`, {
      role: token.role,
      permission,
    });
  }
  request.actor = {
    name: token.name,
    subject: `token:${token.id}`,
    tokenId: token.id,
    role: token.role,
    groups: [],
    projectScope: token.project,
    extraPermissions: token.permissions,
    requestId: request.id,
    ip: request.ip,
  };
  refuseOutOfScope(request);
  // What an authenticated caller gets is private (and a created token is a secret): never cached.
  noStore(reply);
}

function refusal(outcome: Exclude<Authentication, { kind: 'valid' }>): string {
  switch (outcome.kind) {
    case 'unknown':
    case 'revoked':
      // The same words for both: a revoked token's name is nothing its last holder needs.
      return 'the API token is unknown or has been revoked';
    case 'expired':
      return `the API token '${outcome.token.name}' expired at ${outcome.token.expiresAt}; an admin can rotate it (verdict api-token rotate ${outcome.token.id}) or create a new one`;
    default:
      return assertNever(outcome, 'token refusal');
  }
}

/** Routes a project-scoped identity may call although they name no project: who am I, the console session. */
const SCOPE_FREE = new Set(['/api/whoami', '/api/session']);

/**
 * A project-scoped token touches its project only: routes under /api/projects/:project for that
 * project, and the few routes about itself. Anything global (projects list, tokens, audit) is refused.
 */
function refuseOutOfScope(request: FastifyRequest): void {
  const scope = request.actor.projectScope;
  if (scope === null) return;
  const project = (request.params as { project?: unknown } | undefined)?.project;
  if (project === undefined ? SCOPE_FREE.has(request.routeOptions.url ?? '') : project === scope) return;
  throw new AppError('forbidden', `token '${request.actor.name}' is limited to project '${scope}'`, { project: scope });
}

/** A console session (single sign-on): only as the cookie, never as a bearer token for scripts. */
async function authenticateSession(
  sessions: ConsoleSessionsService,
  request: FastifyRequest,
  reply: FastifyReply,
  secret: string,
  via: 'bearer' | 'cookie',
  permission: Permission,
): Promise<void> {
  const session = via === 'cookie' ? await sessions.authenticate(secret) : undefined;
  if (!session) {
    if (via === 'bearer') reply.header('www-authenticate', 'Bearer realm="verdict", error="invalid_token"');
    throw new AppError('unauthorized', via === 'bearer' ? 'a console session is not an API token: scripts use an API token' : 'the console session has ended (signed out, expired or revoked): sign in again');
  }
  if (!allows(session.role, permission)) {
    throw new AppError('forbidden', `role '${session.role}' (${session.name}, from their groups) is not allowed to ${describe(permission)}`, { role: session.role, permission });
  }
  request.actor = sessionActor(session, { requestId: request.id, ip: request.ip });
  request.consoleSession = session;
  noStore(reply);
}

function describe(permission: Permission): string {
  switch (permission) {
    case 'read':
      return 'read';
    case 'project:create':
      return 'create projects';
    case 'environment:create':
      return 'create environments';
    case 'environment:update':
      return 'change environments';
    case 'decision:write':
      return 'change decisions';
    case 'decision:simulate':
      return 'simulate decisions';
    case 'release:create':
      return 'cut releases';
    case 'deploy':
      return 'deploy or roll back';
    case 'package:apply':
      return 'apply release packages';
    case 'evaluation-token:manage':
      return 'manage evaluation tokens';
    case 'api-token:manage':
      return 'manage API tokens';
    case 'audit:read':
      return 'read the audit log';
    case 'webhook:manage':
      return 'manage webhooks';
  }
}
