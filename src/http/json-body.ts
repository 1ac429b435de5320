import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { findUnrepresentable, mayHoldUnrepresentable, UNREPRESENTABLE_MESSAGES } from '../lib/json-values.js';

/**
 * Deeper than any body a management route accepts: a decision nested to VERDICT_MAX_JSON_DEPTH's
 * highest setting (2,000) in its request. A body past it is refused before it is parsed: found by
 * the fuzzer, a 2 MB body nested 400,000 deep cost seconds of parsing and, with an
 * Idempotency-Key, canonicalising, only to be refused afterwards.
 */
export const MAX_BODY_DEPTH = 4096;

/**
 * Whether brackets in JSON text nest deeper than `limit` (outside strings). A text shorter than
 * twice the limit cannot, so small bodies are not scanned; a large one costs about a fifth of
 * parsing it.
 */
export function nestingExceeds(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, over escapes.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

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
    if (nestingExceeds(text, MAX_BODY_DEPTH)) {
      const message = `must not be nested deeper than ${MAX_BODY_DEPTH} levels`;
      return done(new AppError('validation-failed', `body ${message}`, { errors: [{ in: 'body', path: '/', message }] }), undefined);
    }
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
