import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleSessionsService } from '../control-plane/console-sessions/service.js';
import { consoleAssets, type ConsoleAssetsOptions } from './assets.js';
import { sessionRoutes } from './session-routes.js';
import { OidcSignIn } from './sso/oidc.js';
import { ssoRoutes } from './sso/routes.js';
import type { OidcSettings } from './sso/settings.js';

export { presentedApiToken } from './session-cookie.js';

export interface ConsoleOptions extends ConsoleAssetsOptions {
  readonly sessions: ConsoleSessionsService;
  /** Single sign-on (VERDICT_OIDC_*); undefined: API tokens only. */
  readonly oidc?: OidcSettings | undefined;
}

/** The web console: its sign-in routes (API token, single sign-on) and its built page, on the API's port. */
export const consoleRoutes: FastifyPluginAsync<ConsoleOptions> = async (app, options) => {
  const sso = options.oidc ? new OidcSignIn(options.oidc) : undefined;
  // Discovered now so a misconfigured issuer shows in the log at start; a provider that is down
  // now is asked again at the first sign-in (Verdict starts and serves without it).
  sso?.configuration().then(
    () => app.log.info({ issuer: options.oidc!.issuer }, 'single sign-on: identity provider discovered'),
    (error: unknown) => app.log.warn({ err: error, issuer: options.oidc!.issuer }, 'single sign-on: identity provider not reachable yet; retried at the next sign-in'),
  );
  await app.register(sessionRoutes, { sessions: options.sessions });
  await app.register(ssoRoutes, { sso, sessions: options.sessions });
  await app.register(consoleAssets, options);
};
