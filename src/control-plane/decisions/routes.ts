import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import {
  DecisionDiffQuerySchema,
  DecisionDiffSchema,
  DecisionListQuerySchema,
  DecisionParamsSchema,
  DecisionVersionParamsSchema,
  DecisionVersionSchema,
  DecisionVersionSummarySchema,
  RenameDecisionResultSchema,
  RenameDecisionSchema,
  SaveDecisionResultSchema,
  SaveDecisionSchema,
  SaveDecisionsResultSchema,
  SaveDecisionsSchema,
} from './schemas.js';

export const decisionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['decisions'];

  app.get(
    '/api/projects/:project/decisions',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: "List a project's decisions (latest version of each)",
        params: ProjectParamsSchema,
        querystring: DecisionListQuerySchema,
        response: { 200: Type.Array(DecisionVersionSummarySchema) },
      },
    },
    (request) => services.decisions.list(request.params.project, request.query),
  );

  app.post(
    '/api/projects/:project/decisions',
    {
      config: { permission: 'decision:write', idempotent: true },
      schema: {
        tags,
        summary: 'Save many decisions in one transaction (all validated first; all or nothing)',
        params: ProjectParamsSchema,
        body: SaveDecisionsSchema,
        response: { 200: SaveDecisionsResultSchema },
      },
    },
    (request) => services.decisions.saveMany(request.actor, request.params.project, request.body, request.idempotency),
  );

  app.put(
    '/api/projects/:project/decisions/:key',
    {
      config: { permission: 'decision:write', idempotent: true },
      schema: {
        tags,
        summary: 'Save a new version of a decision (validated and compiled first)',
        description: 'Answers 201 with the new version, or 200 with `unchanged: true` when the content equals the latest version.',
        params: DecisionParamsSchema,
        body: SaveDecisionSchema,
        response: { 200: SaveDecisionResultSchema, 201: SaveDecisionResultSchema },
      },
    },
    async (request, reply) => {
      const { project, key } = request.params;
      const result = await services.decisions.save(request.actor, project, key, request.body, request.idempotency);
      return reply.status(result.unchanged ? 200 : 201).send(result);
    },
  );

  app.get(
    '/api/projects/:project/decisions/:key',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'Get the latest version of a decision', params: DecisionParamsSchema, response: { 200: DecisionVersionSchema } },
    },
    (request) => services.decisions.get(request.params.project, request.params.key),
  );

  app.delete(
    '/api/projects/:project/decisions/:key',
    {
      config: { permission: 'decision:write', idempotent: true },
      schema: {
        tags,
        summary: 'Delete a decision (saves a tombstone version; history is kept)',
        params: DecisionParamsSchema,
        response: { 200: DecisionVersionSummarySchema },
      },
    },
    (request) => services.decisions.delete(request.actor, request.params.project, request.params.key, request.idempotency),
  );

  app.post(
    '/api/projects/:project/decisions/:key/rename',
    {
      config: { permission: 'decision:write', idempotent: true },
      schema: {
        tags,
        summary: 'Rename a decision (its history moves with it; one transaction)',
        description:
          'Adds a version with the same content under the new key, recording who renamed it. Releases made before keep the old key. ' +
          '409 when the new key is taken (also by a deleted decision) or while another decision calls this one as a sub-decision.',
        params: DecisionParamsSchema,
        body: RenameDecisionSchema,
        response: { 200: RenameDecisionResultSchema },
      },
    },
    (request) => services.decisions.rename(request.actor, request.params.project, request.params.key, request.body, request.idempotency),
  );

  app.get(
    '/api/projects/:project/decisions/:key/versions',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: "A decision's history, newest first",
        params: DecisionParamsSchema,
        response: { 200: Type.Array(DecisionVersionSummarySchema) },
      },
    },
    (request) => services.decisions.history(request.params.project, request.params.key),
  );

  app.get(
    '/api/projects/:project/decisions/:key/diff',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Compare two versions of a decision: nodes, edges, table rules and cells, expressions, branches, code',
        description:
          'Nodes are matched by id and edges by what they connect; a moved node is listed as node-moved, apart from content changes. ' +
          'At most `limit` entries are listed; `truncated` counts the rest. A version that is a deletion has no content to compare (404).',
        params: DecisionParamsSchema,
        querystring: DecisionDiffQuerySchema,
        response: { 200: DecisionDiffSchema },
      },
    },
    (request) => services.decisions.diff(request.params.project, request.params.key, request.query.from, request.query.to),
  );

  app.get(
    '/api/projects/:project/decisions/:key/versions/:version',
    {
      config: { permission: 'read' },
      schema: { tags, summary: 'Get one version of a decision', params: DecisionVersionParamsSchema, response: { 200: DecisionVersionSchema } },
    },
    (request) => services.decisions.get(request.params.project, request.params.key, request.params.version),
  );
};
