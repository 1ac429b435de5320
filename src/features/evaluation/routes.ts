import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import type { DataPlane } from './data-plane.js';
import {
  AccessTokenHeadersSchema,
  EvaluateBatchBodySchema,
  EvaluateBatchResponseSchema,
  EvaluateBodySchema,
  EvaluateEnvParamsSchema,
  EvaluateParamsSchema,
  EvaluateResponseSchema,
  SimulateBodySchema,
  SimulateResponseSchema,
} from './schemas.js';

function accessToken(request: FastifyRequest): string | undefined {
  const value = request.headers['x-access-token'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Evaluation endpoints shaped like GoRules BRMS (`X-Access-Token`, `{context, trace}` in,
 * `{result, performance, trace}` out) plus batch evaluation and the editors' simulator.
 */
export const evaluationRoutes: FastifyPluginAsyncTypebox<{ services: Services; dataPlane: DataPlane }> = async (app, { dataPlane }) => {
  const { evaluation, simulator } = dataPlane;
  const tags = ['evaluation'];
  // Per-request info logs would cost more than the evaluation itself; failures still log.
  const hot = { logLevel: 'warn' as const, config: { permission: 'evaluation' as const } };

  // Counts requests refused before evaluation; engine failures are counted where they happen.
  const guard = async <T>(project: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      evaluation.countRefused(project, error);
      throw error;
    }
  };

  app.post(
    '/api/projects/:project/evaluate/*',
    {
      ...hot,
      schema: {
        tags,
        summary: "Evaluate a decision in the evaluation token's environment (GoRules-compatible)",
        params: EvaluateParamsSchema,
        headers: AccessTokenHeadersSchema,
        body: EvaluateBodySchema,
        response: { 200: EvaluateResponseSchema },
      },
    },
    async (request) => {
      const { project, '*': key } = request.params;
      return guard(project, () =>
        evaluation.evaluate(evaluation.resolve(project, undefined, accessToken(request)), key, request.body.context, request.body.trace ?? false),
      );
    },
  );

  app.post(
    '/api/projects/:project/environments/:env/evaluate/*',
    {
      ...hot,
      schema: {
        tags,
        summary: 'Evaluate a decision in a named environment (the token must belong to it)',
        params: EvaluateEnvParamsSchema,
        headers: AccessTokenHeadersSchema,
        body: EvaluateBodySchema,
        response: { 200: EvaluateResponseSchema },
      },
    },
    async (request) => {
      const { project, env, '*': key } = request.params;
      return guard(project, () =>
        evaluation.evaluate(evaluation.resolve(project, env, accessToken(request)), key, request.body.context, request.body.trace ?? false),
      );
    },
  );

  app.post(
    '/api/projects/:project/evaluate-batch/*',
    {
      ...hot,
      schema: {
        tags,
        summary: "Evaluate many contexts in one request, in the token's environment",
        params: EvaluateParamsSchema,
        headers: AccessTokenHeadersSchema,
        body: EvaluateBatchBodySchema,
        response: { 200: EvaluateBatchResponseSchema },
      },
    },
    async (request) => {
      const { project, '*': key } = request.params;
      return guard(project, () =>
        evaluation.evaluateBatch(evaluation.resolve(project, undefined, accessToken(request)), key, request.body.contexts, request.body.trace ?? false),
      );
    },
  );

  app.post(
    '/api/projects/:project/environments/:env/evaluate-batch/*',
    {
      ...hot,
      schema: {
        tags,
        summary: 'Evaluate many contexts in one request, in a named environment',
        params: EvaluateEnvParamsSchema,
        headers: AccessTokenHeadersSchema,
        body: EvaluateBatchBodySchema,
        response: { 200: EvaluateBatchResponseSchema },
      },
    },
    async (request) => {
      const { project, env, '*': key } = request.params;
      return guard(project, () =>
        evaluation.evaluateBatch(evaluation.resolve(project, env, accessToken(request)), key, request.body.contexts, request.body.trace ?? false),
      );
    },
  );

  app.post(
    '/api/projects/:project/simulate',
    {
      config: { permission: 'decision:simulate' },
      schema: {
        tags,
        summary: 'Evaluate a draft graph or a stored decision version, with trace (editors)',
        params: ProjectParamsSchema,
        body: SimulateBodySchema,
        response: { 200: SimulateResponseSchema },
      },
    },
    (request) => simulator.simulate(request.params.project, request.body),
  );
};
