import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { findUnrepresentable, mayHoldUnrepresentable, UNREPRESENTABLE_MESSAGES } from '../lib/json-values.js';

/**
 * Fastify's JSON parser (same limits, same prototype-poisoning checks), plus a refusal of values
 * that JSON.parse accepts but nothing downstream can keep: `1e309` (Infinity), `\u0000`, lone
 * surrogates. They would otherwise fail deep inside as a 500 (canonical JSON) or as a database
 * error; here they are a 400 naming the path. The walk only runs when a scan of the text finds
 * something that could produce one, so ordinary bodies cost one regular-expression pass.
 */
export function registerJsonBodyChecks(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string; // parseAs: 'string'
    parse(request, text, (error, value) => {
      if (error) return done(error, undefined);
      const fault = mayHoldUnrepresentable(text) ? findUnrepresentable(value) : undefined;
      if (!fault) return done(null, value);
      const message = UNREPRESENTABLE_MESSAGES[fault.reason];
      const where = fault.path === '/' ? 'body' : `body${fault.path.replaceAll('/', '.')}`;
      done(new AppError('validation-failed', `${where} ${message}`, { errors: [{ in: 'body', path: fault.path, message }] }), undefined);
    });
  });
}
