import http, { type RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { trackEarlyAnswers } from './transport-errors.js';

export interface ServerLimits {
  /** Whole request, headers and body: a client trickling a body cannot hold a socket longer. */
  readonly requestTimeoutMs: number;
  /** Open connections beyond this are dropped as they arrive. */
  readonly maxConnections: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = { requestTimeoutMs: 30_000, maxConnections: 10_000 };

// A 72 s keep-alive outlives the usual 60 s load-balancer idle timeout (Fastify's default too; it
// applies its own settings only to servers it creates).
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
// Request headers are a few hundred bytes: a client that has not sent them in 10 s will not.
const HEADERS_TIMEOUT_MS = 10_000;
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The node's HTTP server. Node's own defaults let a client hold a socket for 300 s by sending a
 * body a byte at a time, with no bound on how many do so: here a request must arrive whole within
 * `requestTimeoutMs` (408 and the connection closed, otherwise), headers within 10 s, and
 * connections are capped. Deadlines apply only while a request is arriving: an idle keep-alive
 * connection is governed by the keep-alive timeout, and a handler that takes long (a deploy
 * waiting for replicas) is not cut off.
 */
export function createHttpServer(listener: RequestListener, limits: ServerLimits, logger: Logger): http.Server {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, limits.requestTimeoutMs);
  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout,
      // Node checks these deadlines on a timer, by default every 30 s, which would nearly double
      // a 30 s deadline; the check walks only connections with a request in progress.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      // Node answers an HTTP/1.1 request without Host with a bare 400 of its own; the app refuses
      // it instead, as a problem document (see app.ts).
      requireHostHeader: false,
    },
    (req, res) => {
      trackEarlyAnswers(req, res);
      listener(req, res);
    },
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = limits.maxConnections;

  // Say so when the cap bites, at most every 10 s: dropped clients only see a reset.
  let dropped = 0;
  let lastLog = 0;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - lastLog < DROP_LOG_INTERVAL_MS) return;
    lastLog = now;
    logger.warn({ dropped, maxConnections: limits.maxConnections }, 'connections dropped: VERDICT_MAX_CONNECTIONS reached');
    dropped = 0;
  });
  return server;
}
