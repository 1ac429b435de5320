import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Services } from '../control-plane/services.js';
import { apiTokenRoutes } from '../control-plane/api-tokens/routes.js';
import { auditRoutes } from '../control-plane/audit/routes.js';
import { changeRoutes } from '../control-plane/changes/routes.js';
import { decisionRoutes } from '../control-plane/decisions/routes.js';
import { deploymentRoutes } from '../control-plane/deployments/routes.js';
import { deploymentRequestRoutes } from '../control-plane/deployment-requests/routes.js';
import { environmentRoutes } from '../control-plane/environments/routes.js';
import { evaluationTokenRoutes } from '../control-plane/evaluation-tokens/routes.js';
import { healthRoutes } from '../control-plane/health/routes.js';
import type { DataPlane } from '../data-plane/data-plane.js';
import { evaluationRoutes, servingRoutes } from '../data-plane/http/routes.js';
import { simulatorRoutes } from '../control-plane/simulation/routes.js';
import { decisionTestRoutes } from '../control-plane/decision-tests/routes.js';
import { projectRoutes } from '../control-plane/projects/routes.js';
import { fleetRoutes } from '../control-plane/fleet/routes.js';
import { packageRoutes } from '../control-plane/packages/routes.js';
import { releaseRoutes } from '../control-plane/releases/routes.js';
import { regionsRoutes, type RegionsOptions } from '../control-plane/regions/routes.js';
import { webhookRoutes } from '../control-plane/webhooks/routes.js';
import { consoleRoutes } from '../console/index.js';
import { registerAuth } from './auth.js';
import { DOCS_CONTENT_SECURITY_POLICY, setSecurityHeaders } from './security-headers.js';
import { registerIdempotency } from './idempotency.js';
import { registerJsonBodyChecks } from './json-body.js';
import { createHttpServer, DEFAULT_SERVER_LIMITS } from './node-server.js';
import { registerErrorHandling } from './error-handler.js';
import { MAX_PARAM_LENGTH } from '../lib/url-limits.js';
import { clientErrorHandler, frameworkErrorHandler } from './transport-errors.js';
import { validatorCompiler } from './validation.js';
import { VERSION } from '../version.js';
import { redactUrl } from '../lib/redact.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where the metrics listener (VERDICT_METRICS_PORT) listens, once the app is ready; else undefined. */
    metricsUrl: string | undefined;
  }
}

export interface AppOptions {
  readonly config: Pick<Config, 'bodyLimitBytes'> &
    Partial<Pick<Config, 'packageLimitBytes' | 'requestTimeoutMs' | 'maxConnections' | 'metricsPort' | 'metricsHost' | 'oidc'>>;
  readonly services: Services;
  readonly dataPlane: DataPlane;
  readonly logger: Logger;
  /** Where the regions view comes from (default: what the node sees through its own connections). */
  readonly regions?: RegionsOptions | undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// Request ids: a random per-process prefix and a counter; unique across nodes, and far cheaper
// than a UUID per request on the evaluation path.
const ID_PREFIX = randomUUID().slice(0, 8);
let requestCounter = 0;

/** Evaluation URLs, served by the lean data-plane app. */
const EVALUATION_URL = /^\/api\/projects\/[^/?]+\/(?:environments\/[^/?]+\/)?evaluate(?:-batch)?\//;

function commonOptions(config: AppOptions['config'], logger: Logger) {
  return {
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Clients and proxies may pass their own request id; anything odd is replaced.
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : `${ID_PREFIX}-${(++requestCounter).toString(36)}`;
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Fastify's per-request logs are replaced by one line per management request (below).
    logController: new LogController({ disableRequestLogging: true }),
    // Errors before a route runs (bad URL encoding, unparseable HTTP, timeouts) are problem documents too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler: clientErrorHandler(logger),
  };
}

function applyCommon(app: FastifyInstance, config: AppOptions['config'], onConnectionLost?: () => void): void {
  // Set once here, for both apps, before anything can fail: errors carry them too.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    setSecurityHeaders(reply);
    // RFC 9112 3.2: an HTTP/1.1 request without Host is a 400 (Node's own check is off: it answers without a body).
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') return done(new AppError('bad-request', 'an HTTP/1.1 request needs a Host header'));
    done();
  });
  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app, config.bodyLimitBytes, onConnectionLost);
}

/**
 * The data plane's own Fastify instance: only the evaluation routes, none of the management
 * app's plugins and hooks. Measured on one core, the management app's machinery alone cost ~15%
 * of evaluation throughput; evaluation requests are dispatched here before it sees them.
 */
async function buildEvaluationApp({ config, dataPlane, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify(commonOptions(config, logger)).withTypeProvider<TypeBoxTypeProvider>();
  applyCommon(app, config);
  await app.register(evaluationRoutes, { dataPlane });
  await app.ready();
  return app;
}

function serverLimits(config: AppOptions['config']) {
  return {
    requestTimeoutMs: config.requestTimeoutMs ?? DEFAULT_SERVER_LIMITS.requestTimeoutMs,
    maxConnections: config.maxConnections ?? DEFAULT_SERVER_LIMITS.maxConnections,
  };
}

/**
 * The metrics listener: /metrics and the health routes with every detail, and no token, on a
 * port of its own (VERDICT_METRICS_PORT) that operators keep on an internal network, the way
 * Prometheus usually scrapes. It needs no database: it keeps answering through an outage, when
 * API tokens cannot be checked.
 */
async function buildMetricsApp({ config, services, dataPlane, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ ...commonOptions(config, logger), serverFactory: (handler) => createHttpServer(handler, serverLimits(config), logger) });
  applyCommon(app, config);
  await app.register(healthRoutes, { services, dataPlane, trusted: true });
  return app;
}

/**
 * Builds the HTTP application without listening, so tests and the server share one factory. One
 * port: evaluation URLs go to the lean data-plane app, everything else to the management app.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, services, dataPlane, logger } = options;
  const evaluationApp = await buildEvaluationApp(options);
  const app = Fastify({
    ...commonOptions(config, logger),
    serverFactory: (handler) =>
      createHttpServer(
        (req, res) => (EVALUATION_URL.test(req.url ?? '') ? evaluationApp.routing(req, res) : handler(req, res)),
        serverLimits(config),
        logger,
      ),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onClose', async () => evaluationApp.close());

  app.decorate('metricsUrl', undefined);
  if (config.metricsPort !== undefined) {
    const metricsApp = await buildMetricsApp(options);
    // Listens when the app does (listen() awaits onReady), so a taken port fails the start.
    app.addHook('onReady', async () => {
      app.metricsUrl = await metricsApp.listen({ host: config.metricsHost ?? '127.0.0.1', port: config.metricsPort! });
    });
    app.addHook('onClose', async () => metricsApp.close());
  }

  // Every request reads the database (its API token at least): a lost connection on any of them
  // sends the node looking for the primary at once, as a failed write does.
  applyCommon(app, config, () => services.db.connectionLost());
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, url: redactUrl(request.url), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request completed');
    done();
  });
  registerAuth(app, { apiTokens: services.apiTokens, consoleSessions: services.consoleSessions });
  registerIdempotency(app);
  registerJsonBodyChecks(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Verdict API',
        version: VERSION,
        description:
          'Management API of Verdict, a self-hosted business rules management system. Errors are RFC 9457 problem+json documents with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token (vrd_api_...)' },
          accessToken: { type: 'apiKey', in: 'header', name: 'X-Access-Token', description: 'Evaluation token of an environment (vrd_eval_...)' },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CONTENT_SECURITY_POLICY });

  app.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, () => app.swagger());

  const plugins = [
    healthRoutes,
    projectRoutes,
    decisionRoutes,
    releaseRoutes,
    environmentRoutes,
    deploymentRoutes,
    deploymentRequestRoutes,
    changeRoutes,
    evaluationTokenRoutes,
    apiTokenRoutes,
    auditRoutes,
    fleetRoutes,
    webhookRoutes,
    // Registered here too so the OpenAPI document lists them (and inject() reaches them); on the
    // wire the lean evaluation app answers these URLs.
    evaluationRoutes,
    simulatorRoutes,
    decisionTestRoutes,
    servingRoutes,
  ];
  for (const plugin of plugins) await app.register(plugin, { services, dataPlane });
  await app.register(packageRoutes, { services, ...(config.packageLimitBytes === undefined ? {} : { packageLimitBytes: config.packageLimitBytes }) });
  await app.register(regionsRoutes, { services, dataPlane, regions: options.regions });
  // The web console (session routes and its page at /); after the API, whose routes take precedence.
  await app.register(consoleRoutes, { sessions: services.consoleSessions, oidc: config.oidc });

  return app;
}
