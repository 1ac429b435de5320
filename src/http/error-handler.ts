import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, PROBLEMS, problemType, type ProblemCode } from '../errors.js';
import { isConnectionOrReadOnlyError, sqlState } from '../lib/pg-errors.js';
import { UnrepresentableValueError } from '../lib/json-values.js';
import { redactUrl } from '../lib/redact.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ProblemCode;
  requestId: string;
  [extension: string]: unknown;
}

const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad-request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad-request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
};

function problemFor(error: unknown, request: FastifyRequest, bodyLimit: number): { code: ProblemCode; detail: string; extensions: Record<string, unknown> } {
  if (error instanceof AppError) return { code: error.code, detail: error.detail, extensions: { ...error.extensions } };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const errors = fastifyError.validation.map((v) => ({
      in: fastifyError.validationContext ?? 'body',
      path: v.instancePath || '/',
      message: v.message ?? 'is invalid',
      ...(v.params && Object.keys(v.params).length ? { params: v.params } : {}),
    }));
    const first = errors[0];
    const detail = first ? `${first.in}${first.path === '/' ? '' : first.path.replaceAll('/', '.')} ${first.message}` : fastifyError.message;
    return { code: 'validation-failed', detail, extensions: { errors } };
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped === 'payload-too-large') {
    return { code: mapped, detail: `the request body is larger than the limit of ${bodyLimit} bytes (VERDICT_BODY_LIMIT_BYTES)`, extensions: { limit: bodyLimit } };
  }
  if (mapped) return { code: mapped, detail: fastifyError.message, extensions: {} };
  if (error instanceof UnrepresentableValueError) {
    // Infinity or a lone surrogate reached canonical JSON from outside a request body (a package file...).
    return { code: 'bad-request', detail: `a value cannot be stored: ${error.message}`, extensions: { path: error.fault.path } };
  }
  const state = sqlState(error);
  if (state?.startsWith('22')) {
    // Data exceptions: the input, not the server. The database's own message names server
    // internals (encodings, types, functions), so the answer describes the kind of value instead;
    // the log keeps the database's message under the request id.
    return { code: 'bad-request', detail: dataExceptionDetail(state), extensions: {} };
  }
  if (state === '40P01' || state === '40001') {
    return { code: 'conflict', detail: 'a concurrent change got in the way; retry the request', extensions: {} };
  }
  if (state === '25006') {
    return { code: 'read-only', detail: 'this server is connected to a read-only database (a standby); writes go to the primary', extensions: {} };
  }
  if (isConnectionOrReadOnlyError(error)) {
    return { code: 'database-unavailable', detail: 'the database is unreachable; retry shortly', extensions: {} };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { code: 'bad-request', detail: fastifyError.message, extensions: {} };
  }
  return { code: 'internal', detail: `an unexpected error occurred; the server log has details under request id ${request.id}`, extensions: {} };
}

/** What a PostgreSQL data exception (SQLSTATE class 22) means for the caller, without the server's wording. */
function dataExceptionDetail(state: string): string {
  switch (state) {
    case '22021': // character_not_in_repertoire: a NUL byte in text
    case '22P05': // untranslatable_character: \u0000 in jsonb
      return 'a text value in the request holds a character the database cannot store (a NUL character, \\u0000)';
    case '22001':
      return 'a text value in the request is longer than the database accepts';
    case '22003':
      return 'a number in the request is outside the range the database can store';
    case '22007':
    case '22008':
      return 'a date or time in the request is invalid or out of range';
    case '22P02':
      return 'a value in the request does not have the expected form (for example an id that is not a UUID)';
    default:
      return 'the request holds a value the database cannot store';
  }
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}): FastifyReply {
  const { status, title } = PROBLEMS[code];
  const problem: Problem = {
    type: problemType(code),
    title,
    status,
    detail,
    // A token a client put in the URL is not echoed back (nor logged: see app.ts).
    instance: redactUrl(request.url),
    code,
    requestId: request.id,
    ...extensions,
  };
  return reply.status(status).type('application/problem+json').send(problem);
}

/** One handler renders every error as RFC 9457 problem+json. */
export function registerErrorHandling(app: FastifyInstance, bodyLimit: number, onConnectionLost?: () => void): void {
  app.setErrorHandler((error, request, reply) => {
    const { code, detail, extensions } = problemFor(error, request, bodyLimit);
    if (onConnectionLost && isConnectionOrReadOnlyError(error)) onConnectionLost();
    // A busy answer (a queue is full) says when to come back.
    if (typeof extensions.retryAfter === 'number') reply.header('retry-after', String(extensions.retryAfter));
    // reqId explicitly: evaluation routes log through a shared logger, not a per-request child.
    if (PROBLEMS[code].status >= 500) request.log.error({ err: error, reqId: request.id, url: redactUrl(request.url) }, 'request failed');
    else request.log.info({ code, detail, reqId: request.id, ...(sqlState(error) ? { dbError: (error as Error).message } : {}) }, 'request refused');
    return sendProblem(reply, request, code, detail, extensions);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, 'not-found', `no route for ${request.method} ${redactUrl(request.url.split('?')[0]!)}; see /docs for the API`),
  );
}
