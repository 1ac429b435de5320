import type { ProblemCode } from '../errors.js';
import type { EvaluationOutcome } from './metrics.js';

/**
 * The metrics outcome of a refused or failed evaluation request, by problem code. A Record over
 * every code, so a new code cannot reach the metrics without someone choosing its outcome.
 */
export const OUTCOMES: Readonly<Record<ProblemCode, EvaluationOutcome>> = {
  'bad-request': 'bad_request',
  'validation-failed': 'bad_request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  'not-found': 'not_found',
  'request-timeout': 'bad_request',
  conflict: 'bad_request',
  'payload-too-large': 'bad_request',
  'uri-too-long': 'bad_request',
  'unsupported-media-type': 'bad_request',
  'invalid-decision': 'bad_request',
  'idempotency-key-reused': 'bad_request',
  'invalid-release': 'bad_request',
  'tests-failed': 'bad_request',
  'evaluation-failed': 'engine_error',
  'evaluation-timeout': 'timeout',
  'invalid-package': 'bad_request',
  'untrusted-package': 'bad_request',
  'headers-too-large': 'bad_request',
  'not-ready': 'unavailable',
  'database-unavailable': 'unavailable',
  'read-only': 'unavailable',
  // Never answered to an evaluation (event streams only); listed because every code must be.
  'too-many-streams': 'unavailable',
  // Never answered to an evaluation (console sign-in only).
  'identity-provider-unavailable': 'unavailable',
  internal: 'unavailable',
};
