import type { FastifyPluginAsync } from 'fastify';
import { consoleAssets, type ConsoleAssetsOptions } from './assets.js';
import { sessionRoutes } from './session-routes.js';

export { presentedApiToken } from './session-cookie.js';

/** The web console: its sign-in routes and its built page, on the API's port. */
export const consoleRoutes: FastifyPluginAsync<ConsoleAssetsOptions> = async (app, options) => {
  await app.register(sessionRoutes);
  await app.register(consoleAssets, options);
};
