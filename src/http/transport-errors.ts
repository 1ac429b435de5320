import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { PROBLEMS, problemType, type ProblemCode } from '../errors.js';
import { sendProblem } from './error-handler.js';
import { SECURITY_HEADERS, setSecurityHeaders } from './security-headers.js';
import { MAX_PARAM_LENGTH } from '../lib/url-limits.js';


/**
 * Errors the router finds before a route is chosen (a percent-encoding that is not UTF-8, a
 * parameter past MAX_PARAM_LENGTH): answered as problem documents like every other error. Fastify
 * answers these itself otherwise, in a JSON shape of its own and without the security headers
 * (no hook has run).
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  setSecurityHeaders(reply);
  reply.header('x-request-id', request.id);
  let code: ProblemCode;
  let detail: string;
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      code = 'bad-request';
      detail = 'the URL is not valid: a percent-encoded part of it does not decode to UTF-8 text';
      break;
    case 'FST_ERR_MAX_PARAM_LENGTH':
      code = 'uri-too-long';
      detail = `a part of the URL is longer than ${MAX_PARAM_LENGTH} characters`;
      break;
    default:
      code = 'bad-request';
      detail = 'the request cannot be routed';
  }
  request.log.info({ code, detail, reqId: request.id, fastifyCode: error.code }, 'request refused');
  void sendProblem(reply, request, code, detail);
}

/** Node's own parse errors, by the problem they are. */
function clientProblem(error: Error & { code?: string }): { code: ProblemCode; detail: string } {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request-timeout', detail: 'the request did not arrive whole in time (VERDICT_REQUEST_TIMEOUT_MS); the connection is closed' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'headers-too-large', detail: 'the request line and headers are larger than the server accepts (16 KiB)' };
    default:
      return { code: 'bad-request', detail: `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'}); the connection is closed` };
  }
}

let counter = 0;

/** Connections whose current request was answered before it arrived whole (401 before the body, 413). */
const answeredEarly = new WeakSet<Socket>();

/**
 * Called for every request by the node server (node-server.ts): remembers a connection whose
 * request got its answer before the whole request arrived. If that request then times out or its
 * rest does not parse, the client already has its answer: a second one would be read as the
 * answer to its next request.
 */
export function trackEarlyAnswers(req: IncomingMessage, res: ServerResponse): void {
  answeredEarly.delete(req.socket);
  res.once('finish', () => {
    if (!req.complete) answeredEarly.add(req.socket);
  });
}

/**
 * For Node's 'clientError' (Fastify's clientErrorHandler): a request the HTTP parser refused, or
 * one that did not arrive within the request timeout. There is no request object, so the answer
 * is written to the socket: a problem document with the security headers and a request id that
 * the log line carries too, then the connection is closed. Nothing is written when the request
 * already has an answer (Fastify's default wrote a second one after it).
 */
export function clientErrorHandler(logger: Logger): (error: Error & { code?: string }, socket: Socket) => void {
  const prefix = `conn-${process.pid.toString(36)}`;
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // A response already being written on this connection (pipelining) cannot be followed by another.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent && !answeredEarly.has(socket)) {
      const { code, detail } = clientProblem(error);
      const { status, title } = PROBLEMS[code];
      const requestId = `${prefix}-${(++counter).toString(36)}`;
      const body = JSON.stringify({ type: problemType(code), title, status, detail, code, requestId });
      const headers = {
        'content-type': 'application/problem+json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        'x-request-id': requestId,
        ...SECURITY_HEADERS,
        connection: 'close',
      };
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
      logger.info({ code, err: { code: error.code, message: error.message }, reqId: requestId }, 'request refused by the HTTP parser');
      return lingeringClose(socket);
    }
    socket.destroy();
  };
}

const LINGER_MS = 2000;
const LINGER_MAX_BYTES = 1024 * 1024;

/**
 * Closes after an answer while the client may still be sending (headers past the limit, a body):
 * closing at once with unread data makes the kernel send a reset, and the client loses the answer
 * it was about to read (found by the fuzzer: a 431 after 70 KB of headers never arrived). So, as
 * web servers do, the answer is followed by a half-close and what still arrives is read and
 * dropped, until the client closes, for at most 2 s and 1 MiB.
 */
function lingeringClose(socket: Socket): void {
  socket.removeAllListeners('data'); // the HTTP parser's: it has failed on this connection
  let discarded = 0;
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) socket.destroy();
  });
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.resume();
  socket.end();
}
