import { randomUUID } from 'node:crypto';
import { CliError } from './io.js';

/** An error answer of the API, keeping its status and problem code for callers that branch on them. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface ProblemBody {
  title?: string;
  detail?: string;
  code?: string;
  status?: number;
}

/** A thin client for the management API that turns problem+json answers into one-line errors. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly extraHeaders: Readonly<Record<string, string>> = {},
  ) {}

  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  request<T>(method: string, path: string, body?: unknown, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.#send<T>(method, path, body === undefined ? undefined : { data: JSON.stringify(body), type: 'application/json' }, query);
  }

  /** Sends raw bytes (a release package) and parses the JSON answer. */
  upload<T>(path: string, data: Buffer, type: string, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.#send<T>('POST', path, { data, type }, query);
  }

  /** Downloads raw bytes (a release package). */
  async download(path: string): Promise<Buffer> {
    const response = await this.#fetch('GET', path, undefined, undefined);
    if (!response.ok) await this.#fail(response, await response.text());
    return Buffer.from(await response.arrayBuffer());
  }

  async #send<T>(method: string, path: string, body: { data: string | Buffer; type: string } | undefined, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    const response = await this.#withRetries(method, (key) => this.#fetch(method, path, body, query, key));
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
  async #withRetries(method: string, attempt: (idempotencyKey: string | undefined) => Promise<Response>): Promise<Response> {
    const write = method !== 'GET';
    const key = write ? randomUUID() : undefined;
    for (let tries = 0; ; tries++) {
      try {
        const response = await attempt(key);
        if (response.status !== 503 || !write || tries >= RETRY_DELAYS_MS.length) return response;
      } catch (error) {
        if (!write || tries >= RETRY_DELAYS_MS.length) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[tries]));
    }
  }

  async #fetch(
    method: string,
    path: string,
    body: { data: string | Buffer; type: string } | undefined,
    query?: Record<string, string | number | boolean | undefined>,
    idempotencyKey?: string,
  ): Promise<Response> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'x-request-id': randomUUID(), ...this.extraHeaders };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = body.type;
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    try {
      return await fetch(url, { method, headers, ...(body === undefined ? {} : { body: body.data }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach Verdict at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (error as Error).message}); is the server running? Set --url or VERDICT_URL`,
      );
    }
  }

  async #fail(response: Response, text: string): Promise<never> {
    let problem: ProblemBody = {};
    try {
      problem = JSON.parse(text) as ProblemBody;
    } catch {
      // not a problem document
    }
    const hint = response.status === 401 && !this.token ? ' (no token given: use --token or VERDICT_TOKEN)' : '';
    throw new ApiError(
      `${problem.title ?? `HTTP ${response.status}`}: ${problem.detail ?? (text.slice(0, 200) || response.statusText)}${hint}`,
      response.status,
      problem.code,
    );
  }
}

const RETRY_DELAYS_MS = [500, 1500];

/** Encodes a path-like decision key as one URL path segment. */
export const seg = (value: string): string => encodeURIComponent(value);
