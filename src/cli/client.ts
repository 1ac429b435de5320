import { randomUUID } from 'node:crypto';
import { CliError, type Problem } from './io.js';

/** An error answer of the API, keeping its status, problem code and document for callers that branch on them. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    problem?: Problem,
  ) {
    super(message, undefined, problem);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

export interface ApiClientOptions {
  /**
   * A request not answered after this long fails, every retry and backoff included (a server-side
   * wait adds its own timeout).
   */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Told before each retry, and why (a person at a terminal wonders why a write takes long). */
  readonly onRetry?: (note: string) => void;
}

export interface WriteOptions {
  /**
   * Retry after a lost answer or a 503. Only for routes that honour Idempotency-Key; a route that
   * creates a secret (a token) would create a second one.
   */
  readonly retry?: boolean;
}

/** A thin client for the management API that turns problem+json answers into one-line errors. */
export class ApiClient {
  readonly #timeoutMs: number;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #onRetry: ((note: string) => void) | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    options: ApiClientOptions = {},
  ) {
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#headers = options.headers ?? {};
    this.#onRetry = options.onRetry;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body?: unknown, options?: WriteOptions): Promise<T> {
    return this.request<T>('POST', path, body ?? {}, undefined, options);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  request<T>(method: string, path: string, body?: unknown, query?: Query, options?: WriteOptions): Promise<T> {
    return this.#send<T>(method, path, body === undefined ? undefined : { data: JSON.stringify(body), type: 'application/json' }, query, options);
  }

  /** Sends raw bytes (a release package) and parses the JSON answer. */
  upload<T>(path: string, data: Buffer, type: string, query?: Query): Promise<T> {
    return this.#send<T>('POST', path, { data, type }, query);
  }

  /** Downloads raw bytes (a release package). */
  async download(path: string): Promise<Buffer> {
    const response = await this.#fetch('GET', path, undefined, undefined, undefined, this.#deadline());
    if (!response.ok) await this.#fail(response, await response.text());
    return Buffer.from(await response.arrayBuffer());
  }

  async #send<T>(method: string, path: string, body: { data: string | Buffer; type: string } | undefined, query?: Query, options?: WriteOptions): Promise<T> {
    const deadline = this.#deadline(query);
    const response = await this.#withRetries(method, path, deadline, options?.retry ?? true, (key) => this.#fetch(method, path, body, query, key, deadline));
    const text = await response.text();
    if (!response.ok) await this.#fail(response, text);
    try {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new CliError(`the server answered ${response.status} with something that is not JSON`);
    }
  }

  /**
   * One deadline for a request and all its retries: --timeout is what the user waits at most. A
   * deploy that waits for replicas or the fleet gets that wait's timeout on top.
   */
  #deadline(query?: Query): Deadline {
    const ms = this.#timeoutMs + (query?.wait !== undefined ? Number(query.timeout ?? 30_000) : 0);
    return { at: Date.now() + ms, ms, attempts: 0, lastFailure: undefined };
  }

  /**
   * Writes carry one Idempotency-Key for all their attempts, so retrying after a lost answer, a
   * dropped connection or a failover (503) applies them once. No retry starts that could not get
   * an answer before the deadline: then the last answer (or error) is the result.
   */
  async #withRetries(method: string, path: string, deadline: Deadline, retry: boolean, attempt: (idempotencyKey: string | undefined) => Promise<Response>): Promise<Response> {
    const write = method !== 'GET';
    const key = write && retry ? randomUUID() : undefined;
    const retries = write && retry ? RETRY_DELAYS_MS.length : 0;
    for (let tries = 0; ; tries++) {
      let failure: { response: Response; why: string } | { error: unknown; why: string };
      try {
        const response = await attempt(key);
        if (response.status !== 503 || tries >= retries) return response;
        failure = { response, why: `503 ${await problemSummary(response.clone())}` };
      } catch (error) {
        if (tries >= retries || error instanceof RequestTimeout) throw error;
        failure = { error, why: (error as Error).message };
      }
      deadline.lastFailure = failure.why;
      const delay = RETRY_DELAYS_MS[tries]!;
      // Waiting and sending again must leave the server time to answer, or the retry is pointless.
      if (deadline.at - Date.now() < delay + MIN_ATTEMPT_MS) {
        if ('response' in failure) return failure.response;
        throw failure.error;
      }
      if ('response' in failure) await failure.response.body?.cancel();
      this.#onRetry?.(oneLine(`retrying ${method} /${path.replace(/^\//, '')} in ${delay / 1000} s (attempt ${tries + 2} of ${retries + 1}): ${failure.why}`));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async #fetch(
    method: string,
    path: string,
    body: { data: string | Buffer; type: string } | undefined,
    query: Query | undefined,
    idempotencyKey: string | undefined,
    deadline: Deadline,
  ): Promise<Response> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'x-request-id': randomUUID(), ...this.#headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = body.type;
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const earlier = deadline.attempts > 0 ? ` (${deadline.attempts + 1} attempts; the last failed: ${deadline.lastFailure})` : '';
    const timedOut = () =>
      new RequestTimeout(oneLine(`${method} ${url.pathname}: no answer from Verdict at ${this.baseUrl} within ${deadline.ms} ms${earlier}; --timeout or VERDICT_TIMEOUT_MS to wait longer`));
    const remaining = deadline.at - Date.now();
    if (remaining <= 0) throw timedOut();
    deadline.attempts++;
    try {
      return await fetch(url, { method, headers, signal: AbortSignal.timeout(remaining), ...(body === undefined ? {} : { body: body.data }) });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw timedOut();
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach Verdict at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (error as Error).message}); is the server running? Set --url or VERDICT_URL`,
      );
    }
  }

  async #fail(response: Response, text: string): Promise<never> {
    let problem: Problem | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) problem = parsed as Problem;
    } catch {
      // not a problem document
    }
    const hint = response.status === 401 && !this.token ? ' (no token given: use --token or VERDICT_TOKEN)' : '';
    throw new ApiError(
      `${problem?.title ?? `HTTP ${response.status}`}: ${problem?.detail ?? (text.slice(0, 200) || response.statusText)}${hint}`,
      response.status,
      problem?.code,
      problem,
    );
  }
}

const RETRY_DELAYS_MS = [500, 1500];
/** A retry is sent only when at least this long is left for its answer. */
const MIN_ATTEMPT_MS = 250;

interface Deadline {
  /** Epoch ms by which the request, with every retry, ends. */
  readonly at: number;
  /** The whole budget, for messages. */
  readonly ms: number;
  attempts: number;
  lastFailure: string | undefined;
}

/** "Database unavailable: the database is unreachable; retry shortly" from a problem answer. */
async function problemSummary(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    return [problem.title, problem.detail].filter(Boolean).join(': ') || response.statusText;
  } catch {
    return text.slice(0, 200) || response.statusText;
  }
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

/** Not retried: the server may still be working on it. */
class RequestTimeout extends CliError {
  override name = 'RequestTimeout';
}

/** Encodes a path-like decision key as one URL path segment. */
export const seg = (value: string): string => encodeURIComponent(value);
