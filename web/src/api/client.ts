import createClient from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The typed client of the management API (types generated from /openapi.json). Credentials are
 * the HttpOnly session cookie, which the browser sends itself; the custom header is what lets a
 * cookie-authenticated write through the server's cross-site request check.
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin', headers: { 'x-verdict-console': '1' } });

/** An RFC 9457 problem document, as every API error is. */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly ProblemItem[];
  /** The node an evaluation failed in (simulations). */
  readonly nodeId?: string;
  readonly nodeName?: string;
}

/** One entry of a problem's `errors`: what a refused decision names (node, rule, column) or a field. */
export interface ProblemItem {
  readonly message: string;
  readonly nodeId?: string;
  readonly nodeName?: string;
  readonly rule?: number;
  readonly column?: string;
  readonly path?: string;
}

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.name = 'ProblemError';
  }
}

/** The data of a successful answer, or a ProblemError (what TanStack Query shows as the error). */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = (result.error ?? {}) as Partial<Problem>;
    throw new ProblemError({ ...body, status: result.response.status, code: body.code ?? 'unknown' });
  }
  return result.data as T;
}

/** Called on any 401: the session ended (signed out elsewhere, token revoked, cookie expired). */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

api.use({
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/api/session')) onUnauthorized();
    return undefined;
  },
});
