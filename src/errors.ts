/**
 * Every error the API can answer with: a stable code, its HTTP status and a title. Adding a code
 * here is the only way to add an error kind, so clients can rely on the list.
 */
export const PROBLEMS = {
  'bad-request': { status: 400, title: 'Bad request' },
  'validation-failed': { status: 400, title: 'Request validation failed' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed' },
  'not-found': { status: 404, title: 'Not found' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'uri-too-long': { status: 414, title: 'URI too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'invalid-decision': { status: 422, title: 'Decision graph is invalid' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency-Key reused' },
  'invalid-release': { status: 422, title: 'Release cannot be cut' },
  'tests-failed': { status: 422, title: 'Decision tests failed' },
  'evaluation-failed': { status: 422, title: 'Evaluation failed' },
  'evaluation-timeout': { status: 422, title: 'Evaluation exceeded its time limit' },
  'invalid-package': { status: 422, title: 'Release package refused' },
  'untrusted-package': { status: 422, title: 'Release package signature refused' },
  'headers-too-large': { status: 431, title: 'Request header fields too large' },
  'not-ready': { status: 503, title: 'Not ready' },
  'database-unavailable': { status: 503, title: 'Database unavailable' },
  'read-only': { status: 503, title: 'Database is read-only' },
  'too-many-streams': { status: 503, title: 'Too many event streams' },
  'identity-provider-unavailable': { status: 502, title: 'Identity provider unavailable' },
  internal: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export function problemType(code: ProblemCode): string {
  return `urn:verdict:problem:${code}`;
}

/** The one error base class: thrown anywhere, rendered as RFC 9457 problem+json by the HTTP error handler. */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    /** Extra members of the problem document (e.g. `errors`). */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.status = PROBLEMS[code].status;
    this.title = PROBLEMS[code].title;
  }
}

export const notFound = (detail: string) => new AppError('not-found', detail);
export const conflict = (detail: string, extensions?: Record<string, unknown>) => new AppError('conflict', detail, extensions);
export const badRequest = (detail: string, extensions?: Record<string, unknown>) => new AppError('bad-request', detail, extensions);
