/** The drill's HTTP calls: short timeouts, and failures as values (a lost region is expected). */
export interface HttpOutcome {
  readonly ok: boolean;
  readonly status: number | null;
  readonly body: unknown;
  readonly error?: string;
  readonly ms: number;
}

export async function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpOutcome> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON
    }
    return { ok: response.ok, status: response.status, body, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { ok: false, status: null, body: undefined, error: cause?.code ?? (error as Error).name, ms: performance.now() - started };
  }
}
