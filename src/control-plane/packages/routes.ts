import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import type { Services } from '../services.js';
import { ReleaseRefParamsSchema } from '../releases/schemas.js';
import { ProjectParamsSchema } from '../projects/schemas.js';
import { ApplyQuerySchema, ApplyResultSchema } from './schemas.js';

const ZIP_TYPES = ['application/zip', 'application/octet-stream'];

/** A busy answer (503) says when to come back; the problem+json handler keeps headers set here. */
function withRetryAfter(reply: FastifyReply, error: unknown): unknown {
  if (error instanceof AppError && typeof error.extensions.retryAfter === 'number') reply.header('retry-after', String(error.extensions.retryAfter));
  return error;
}

export const packageRoutes: FastifyPluginAsyncTypebox<{ services: Services; packageLimitBytes?: number }> = async (app, { services, packageLimitBytes }) => {
  const tags = ['packages'];
  const limit = packageLimitBytes ?? 64 * 1024 * 1024;
  app.addContentTypeParser(ZIP_TYPES, { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => done(null, body));

  app.get(
    '/api/projects/:project/releases/:release/package',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Download a release as a package zip (signed when the server has VERDICT_SIGNING_KEY)',
        params: ReleaseRefParamsSchema,
        response: { 200: Type.Unknown({ description: 'application/zip' }) },
      },
    },
    async (request, reply) => {
      const { zip, label } = await services.packages.export(request.params.project, request.params.release);
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${request.params.project}-${label}.zip"`)
        .send(zip);
    },
  );

  app.post(
    '/api/projects/:project/packages',
    {
      config: { permission: 'package:apply', idempotent: true },
      bodyLimit: limit,
      // When applies are already queued up, answer before the body is read (after authentication).
      onRequest: (_request, reply, done) => {
        try {
          services.packages.admit();
          done();
        } catch (error) {
          done(withRetryAfter(reply, error) as Error);
        }
      },
      schema: {
        tags,
        summary: 'Apply a release package (or a GoRules release zip): verify, then save, release and optionally deploy in one transaction',
        description: 'Send the zip as the raw body (Content-Type: application/zip). Applying a package again answers status "already-applied".',
        params: ProjectParamsSchema,
        querystring: ApplyQuerySchema,
        response: { 200: ApplyResultSchema },
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) {
        throw Object.assign(new Error('send the package as the raw request body with Content-Type: application/zip'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
      }
      try {
        return await services.packages.apply(request.actor, request.params.project, request.body, request.query, request.idempotency);
      } catch (error) {
        throw withRetryAfter(reply, error);
      }
    },
  );
};
