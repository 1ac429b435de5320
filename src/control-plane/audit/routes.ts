import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { AUDIT_CSV_MAX_ROWS, AuditCsvQuerySchema, AuditPageSchema, AuditQuerySchema } from './schemas.js';

export const auditRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['audit'];

  app.get(
    '/api/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        summary: 'Read the append-only audit log, newest first',
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema },
      },
    },
    (request) => services.audit.query(request.query),
  );

  app.get(
    '/api/audit.csv',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        summary: 'Download the audit log as CSV, newest first, with the same filters',
        description:
          `At most ${AUDIT_CSV_MAX_ROWS} rows (\`limit\`); when more entries match, the \`x-next-cursor\` header holds the \`before\` value of the next download. ` +
          'RFC 4180 quoting; cells a spreadsheet would read as a formula start with an apostrophe.',
        querystring: AuditCsvQuerySchema,
        response: { 200: { description: 'text/csv, one row per entry, a header row first', content: { 'text/csv': { schema: Type.String() } } } },
      },
    },
    async (request, reply) => {
      const { csv, nextCursor } = await services.audit.csv(request.query);
      const day = new Date().toISOString().slice(0, 10);
      if (nextCursor !== null) reply.header('x-next-cursor', String(nextCursor));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="verdict-audit-${day}.csv"`)
        .header('cache-control', 'no-store')
        .send(csv);
    },
  );
};
