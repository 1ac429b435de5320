import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.js';
import { unreachable } from '../../lib/unreachable.js';
import { envKey, type ServedEnvironment } from '../serving/runtime.js';
import type { DataPlane } from '../data-plane.js';
import {
  EvaluateBatchBodySchema,
  EvaluateBatchResponseSchema,
  EvaluateBodySchema,
  EvaluateEnvParamsSchema,
  EvaluateParamsSchema,
  EvaluateResponseSchema,
  ServingSchema,
  type EvaluateBatchBody,
  type EvaluateBody,
} from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The environment an evaluation request's token admits it to, resolved before its body is read. */
    evaluationTarget: ServedEnvironment | null;
  }
}

/** One context, or many against one decision with one deadline. */
type EvaluationKind = 'single' | 'batch';

const SCHEMAS = {
  single: { body: EvaluateBodySchema, response: EvaluateResponseSchema },
  batch: { body: EvaluateBatchBodySchema, response: EvaluateBatchResponseSchema },
} as const satisfies Record<EvaluationKind, unknown>;

/** Each kind in the token's environment, or in a named one (the token must belong to it). */
const ENDPOINTS: readonly { kind: EvaluationKind; url: string; params: typeof EvaluateParamsSchema | typeof EvaluateEnvParamsSchema; summary: string }[] = [
  {
    kind: 'single',
    url: '/api/projects/:project/evaluate/*',
    params: EvaluateParamsSchema,
    summary: "Evaluate a decision in the evaluation token's environment (GoRules-compatible)",
  },
  {
    kind: 'single',
    url: '/api/projects/:project/environments/:env/evaluate/*',
    params: EvaluateEnvParamsSchema,
    summary: 'Evaluate a decision in a named environment (the token must belong to it)',
  },
  {
    kind: 'batch',
    url: '/api/projects/:project/evaluate-batch/*',
    params: EvaluateParamsSchema,
    summary: "Evaluate many contexts in one request, in the token's environment",
  },
  {
    kind: 'batch',
    url: '/api/projects/:project/environments/:env/evaluate-batch/*',
    params: EvaluateEnvParamsSchema,
    summary: 'Evaluate many contexts in one request, in a named environment',
  },
];

function accessToken(request: FastifyRequest): string | undefined {
  const value = request.headers['x-access-token'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Evaluation endpoints shaped like GoRules BRMS (`X-Access-Token`, `{context, trace}` in,
 * `{result, performance, trace}` out) plus batch evaluation.
 */
export const evaluationRoutes: FastifyPluginAsyncTypebox<{ dataPlane: DataPlane }> = async (app, { dataPlane }) => {
  const { evaluation } = dataPlane;
  const tags = ['evaluation'];
  // The hot path skips per-request child loggers (failures still log, with the request id) and
  // serialises with JSON.stringify: the response schema stays for the OpenAPI document, but the
  // result is arbitrary JSON that fast-json-stringify would hand to JSON.stringify anyway.
  const quietLogger = app.log.child({ component: 'evaluation' }, { level: 'warn' });
  const hot = {
    logLevel: 'warn' as const,
    config: { permission: 'evaluation' as const },
    childLoggerFactory: () => quietLogger,
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
  };
  const security = [{ accessToken: [] }];

  // Counts requests refused before evaluation; engine failures are counted where they happen.
  const refused = (project: string, error: unknown): never => {
    evaluation.countRefused(project, error);
    throw error;
  };

  // The token is checked when the request arrives, before its body is parsed or validated: a
  // caller without a valid token learns nothing about the body schema and cannot make the node
  // parse megabytes. Synchronous and from memory, like the rest of the hot path.
  app.decorateRequest('evaluationTarget', null);
  app.addHook('onRequest', (request, _reply, done) => {
    const { project, env } = request.params as { project: string; env?: string };
    try {
      request.evaluationTarget = evaluation.resolve(project, env, accessToken(request));
    } catch (error) {
      evaluation.countRefused(project, error);
      return done(error as Error);
    }
    done();
  });

  for (const endpoint of ENDPOINTS) {
    const { body, response } = SCHEMAS[endpoint.kind];
    app.post(
      endpoint.url,
      { ...hot, schema: { tags, summary: endpoint.summary, params: endpoint.params, security, body, response: { 200: response } } },
      async (request: FastifyRequest) => {
        const { project, '*': key } = request.params as { project: string; '*': string };
        const target = request.evaluationTarget!;
        try {
          switch (endpoint.kind) {
            case 'single': {
              const { context, trace } = request.body as EvaluateBody;
              return await evaluation.evaluate(target, key, context, trace ?? false);
            }
            case 'batch': {
              const { contexts, trace } = request.body as EvaluateBatchBody;
              return await evaluation.evaluateBatch(target, key, contexts, trace ?? false);
            }
            default:
              return unreachable(endpoint.kind, 'evaluation kind');
          }
        } catch (error) {
          return refused(project, error);
        }
      },
    );
  }
};

/** What this node serves for an environment right now (pipelines wait on it after a deploy). */
export const servingRoutes: FastifyPluginAsyncTypebox<{ dataPlane: DataPlane }> = async (app, { dataPlane }) => {
  app.get(
    '/api/projects/:project/environments/:env/serving',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['evaluation'],
        summary: 'The release this node serves in an environment, and which of its decisions run compiled',
        params: Type.Object({ project: Type.String({ minLength: 1, maxLength: 63 }), env: Type.String({ minLength: 1, maxLength: 63 }) }),
        response: { 200: ServingSchema },
      },
    },
    (request) => {
      const state = dataPlane.runtime.state;
      if (!state) throw new AppError('not-ready', 'this node has not loaded its serving state yet');
      const served = state.environments.get(envKey(request.params.project, request.params.env));
      if (!served) throw notFound(`this node knows no environment '${request.params.project}/${request.params.env}'`);
      return {
        project: served.projectKey,
        environment: served.environmentKey,
        releaseId: served.release?.id ?? null,
        releaseLabel: served.release?.label ?? null,
        changeCounter: state.changeCounter,
        loadedAt: state.loadedAt.toISOString(),
        evaluators: [...(served.release?.evaluators?.report ?? new Map())].map(([decision, choice]) => ({ decision, ...choice })),
      };
    },
  );
};
