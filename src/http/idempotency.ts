import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IdempotencyContext } from '../db/idempotency.js';
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
 * Idempotency-Key for management writes. A request carrying one gets `request.idempotency`, which
 * its handler passes to the service and the service to every write transaction: each claims the
 * key and stores its result in the same transaction, so a retry after a lost answer or a failover
 * gets that result instead of a second deploy or release. The handler runs again on a retry (only
 * its writes are replayed), so the status code and any waiting (`wait=replicas`) are those of the
 * retry. A key reused for a different request answers 422.
 */
export function registerIdempotency(app: FastifyInstance): void {
  app.decorateRequest('idempotency', undefined);

  app.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    const header = request.headers['idempotency-key'];
    if (header === undefined || !request.routeOptions.config.idempotent) return done();
    const key = Array.isArray(header) ? header[0]! : header;
    if (!KEY.test(key)) return done(new AppError('bad-request', 'Idempotency-Key must be 1 to 200 letters, digits or . _ : -'));
    request.idempotency = new IdempotencyContext(
      `${request.actor.tokenId ?? request.actor.subject} ${request.method} ${request.routeOptions.url}`,
      key,
      sha256Hex(`${request.url}\n`, bodyDigest(request.body)),
    );
    done();
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.idempotency?.replayed) reply.header('idempotent-replayed', 'true');
    return payload;
  });
}

/** Raw bodies (release packages, megabytes) are hashed as bytes: canonical JSON of a Buffer would stall the event loop. */
function bodyDigest(body: unknown): string | Buffer {
  return Buffer.isBuffer(body) ? body : canonicalJson(body ?? null);
}
