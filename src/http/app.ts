import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Services } from '../services.js';
import { apiTokenRoutes } from '../features/api-tokens/routes.js';
import { auditRoutes } from '../features/audit/routes.js';
import { changeRoutes } from '../features/changes/routes.js';
import { decisionRoutes } from '../features/decisions/routes.js';
import { deploymentRoutes } from '../features/deployments/routes.js';
import { environmentRoutes } from '../features/environments/routes.js';
import { evaluationTokenRoutes } from '../features/evaluation-tokens/routes.js';
import { healthRoutes } from '../features/health/routes.js';
import type { DataPlane } from '../features/evaluation/data-plane.js';
import { evaluationRoutes } from '../features/evaluation/routes.js';
import { projectRoutes } from '../features/projects/routes.js';
import { releaseRoutes } from '../features/releases/routes.js';
import { registerAuth } from './auth.js';
import { registerErrorHandling } from './error-handler.js';
import { validatorCompiler } from './validation.js';
import { VERSION } from '../version.js';

export interface AppOptions {
  readonly config: Pick<Config, 'bodyLimitBytes'>;
  readonly services: Services;
  readonly dataPlane: DataPlane;
  readonly logger: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the HTTP application without listening, so tests and the server share one factory. */
export async function buildApp({ config, services, dataPlane, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Clients and proxies may pass their own request id; anything odd is replaced.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app, config.bodyLimitBytes);
  registerAuth(app, services.apiTokens);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Verdict API',
        version: VERSION,
        description:
          'Management API of Verdict, a self-hosted business rules management system. Errors are RFC 9457 problem+json documents with a stable `code`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API token (vrd_api_...)' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, () => app.swagger());

  const plugins = [
    healthRoutes,
    projectRoutes,
    decisionRoutes,
    releaseRoutes,
    environmentRoutes,
    deploymentRoutes,
    changeRoutes,
    evaluationTokenRoutes,
    apiTokenRoutes,
    auditRoutes,
    evaluationRoutes,
  ];
  for (const plugin of plugins) await app.register(plugin, { services, dataPlane });

  return app;
}
