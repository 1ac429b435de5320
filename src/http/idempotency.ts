import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import { findStoredAnswer, idempotencyContext, storeStatus, type IdempotencyContext } from '../db/idempotency.js';
import { AppError } from '../errors.js';
import { canonicalJson, sha256Hex } from '../lib/hash.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's write may be retried with an Idempotency-Key (its answer holds no secret). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency: IdempotencyContext | undefined;
  }
}

const KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Idempotency-Key for management writes. A request carrying one is handled inside an async
 * context that the write transaction reads: it claims the key and stores its result in the same
 * transaction, so a retry after a lost answer or a failover gets that result instead of a second
 * deploy or release. A key reused for a different request answers 422.
 */
export function registerIdempotency(app: FastifyInstance, db: Database): void {
  app.decorateRequest('idempotency', undefined);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers['idempotency-key'];
    if (header === undefined || !request.routeOptions.config.idempotent) return;
    const key = Array.isArray(header) ? header[0]! : header;
    if (!KEY.test(key)) throw new AppError('bad-request', 'Idempotency-Key must be 1 to 200 letters, digits or . _ : -');
    const context: IdempotencyContext = {
      scope: `${request.actor.tokenId ?? request.actor.name} ${request.method} ${request.routeOptions.url}`,
      key,
      requestHash: sha256Hex(`${request.url}\n${canonicalJson(request.body ?? null)}`),
      consumed: false,
    };
    const stored = await findStoredAnswer(db.sql, context.scope, key).catch(() => undefined);
    if (stored?.response !== undefined && stored.response !== null) {
      if (stored.requestHash !== context.requestHash) throw new AppError('idempotency-key-reused', 'this Idempotency-Key was already used for a different request');
      reply.header('idempotent-replayed', 'true');
      return reply.status(stored.status ?? 200).send(stored.response);
    }
    request.idempotency = context;
  });

  // Run the handler inside the context the write transaction reads.
  app.addHook('preHandler', (request, _reply, done) => {
    if (!request.idempotency) return done();
    idempotencyContext.run(request.idempotency, done);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const context = request.idempotency;
    if (context?.consumed && reply.statusCode < 300) {
      await storeStatus(db.sql, context, reply.statusCode).catch(() => undefined);
    }
    return payload;
  });
}
