import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemCode } from '../errors.js';
import { sendProblem } from './error-handler.js';
import { setSecurityHeaders } from './security-headers.js';

/**
 * Longest URL parameter the router accepts (find-my-way's default is 100). A decision key may be
 * 200 characters plus '.json', and URL-encoding can triple that ('/' and '$' take three), so the
 * default made valid keys unreachable with a 414. Parameters are not matched by regular
 * expressions, so the bound is about waste only.
 */
export const MAX_PARAM_LENGTH = 1024;

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
