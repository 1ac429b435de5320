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
  /** A request unanswered after this long fails (a server-side wait adds its own timeout). */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
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

  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    options: ApiClientOptions = {},
  ) {
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#headers = options.headers ?? {};
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
    const response = await this.#fetch('GET', path, undefined, undefined);
    if (!response.ok) await this.#fail(response, await response.text());
    return Buffer.from(await response.arrayBuffer());
  }

  async #send<T>(method: string, path: string, body: { data: string | Buffer; type: string } | undefined, query?: Query, options?: WriteOptions): Promise<T> {
    const response = await this.#withRetries(method, options?.retry ?? true, (key) => this.#fetch(method, path, body, query, key));
    const text = await response.text();
    if (!response.ok) await this.#fail(response, text);
    try {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new CliError(`the server answered ${response.status} with something that is not JSON`);
    }
  }

  /**
   * Writes carry one Idempotency-Key for all their attempts, so retrying after a lost answer, a
   * dropped connection or a failover (503) applies them once.
   */
  async #withRetries(method: string, retry: boolean, attempt: (idempotencyKey: string | undefined) => Promise<Response>): Promise<Response> {
    const write = method !== 'GET';
    const key = write && retry ? randomUUID() : undefined;
    const retries = write && retry ? RETRY_DELAYS_MS.length : 0;
    for (let tries = 0; ; tries++) {
      try {
        const response = await attempt(key);
        if (response.status !== 503 || tries >= retries) return response;
      } catch (error) {
        if (tries >= retries || error instanceof RequestTimeout) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[tries]));
    }
  }

  async #fetch(
    method: string,
    path: string,
    body: { data: string | Buffer; type: string } | undefined,
    query?: Query,
    idempotencyKey?: string,
  ): Promise<Response> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'x-request-id': randomUUID(), ...this.#headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = body.type;
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    // A deploy that waits for replicas or the fleet may take its own timeout on top.
    const timeoutMs = this.#timeoutMs + (query?.wait !== undefined ? Number(query.timeout ?? 30_000) : 0);
    try {
      return await fetch(url, { method, headers, signal: AbortSignal.timeout(timeoutMs), ...(body === undefined ? {} : { body: body.data }) });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new RequestTimeout(`${method} ${url.pathname}: no answer from Verdict at ${this.baseUrl} within ${timeoutMs} ms (--timeout or VERDICT_TIMEOUT_MS to wait longer)`);
      }
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

/** Not retried: the server may still be working on it. */
class RequestTimeout extends CliError {
  override name = 'RequestTimeout';
}

/** Encodes a path-like decision key as one URL path segment. */
export const seg = (value: string): string => encodeURIComponent(value);
