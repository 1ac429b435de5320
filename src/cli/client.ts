import { randomUUID } from 'node:crypto';
import { CliError } from './io.js';

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

  async request<T>(method: string, path: string, body?: unknown, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'x-request-id': randomUUID() };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach Verdict at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (error as Error).message}); is the server running? Set --url or VERDICT_URL`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const problem = (parsed ?? {}) as ProblemBody;
      const hint = response.status === 401 && !this.token ? ' (no token given: use --token or VERDICT_TOKEN)' : '';
      throw new CliError(`${problem.title ?? `HTTP ${response.status}`}: ${problem.detail ?? (text.slice(0, 200) || response.statusText)}${hint}`);
    }
    return parsed as T;
  }
}

/** Encodes a path-like decision key as one URL path segment. */
export const seg = (value: string): string => encodeURIComponent(value);
