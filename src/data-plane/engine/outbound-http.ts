import type { ZenHttpHandlerRequest, ZenHttpHandlerResponse } from '@gorules/zen-engine';
import { isHostAllowed } from '../../lib/outbound-hosts.js';

export class OutboundHttpDenied extends Error {
  override name = 'OutboundHttpDenied';
}

const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * The engine's hook for every HTTP call a function node makes. Without it any decision author could
 * make the server call any URL (internal services, cloud metadata). Denied unless the host is on
 * the allow-list; allowed calls get a time limit.
 */
export function createHttpHandler(
  allowHosts: readonly string[],
  onCall: (outcome: 'allowed' | 'denied') => void,
  timeoutMs = 5000,
): (request: ZenHttpHandlerRequest) => Promise<ZenHttpHandlerResponse> {
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      onCall('denied');
      throw new OutboundHttpDenied(`function node asked for an invalid URL: ${request.url}`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !isHostAllowed(allowHosts, url)) {
      onCall('denied');
      throw new OutboundHttpDenied(`outbound HTTP to ${url.host} is not allowed (allow it with VERDICT_HTTP_ALLOW_HOSTS)`);
    }
    onCall('allowed');
    for (const [k, v] of Object.entries(request.params ?? {})) url.searchParams.set(k, String(v));
    const hasBody = request.body !== undefined && request.body !== null && !['GET', 'HEAD'].includes(request.method.toUpperCase());
    const response = await fetch(url, {
      method: request.method.toUpperCase(),
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...request.headers },
      ...(hasBody ? { body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual', // a redirect must not lead around the allow-list
    });
    const text = await readLimited(response, MAX_RESPONSE_BYTES);
    let data: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json')) {
      try {
        data = JSON.parse(text);
      } catch {
        // keep the text
      }
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), data };
  };
}

/** The body as text, refusing more than `limit` bytes: a decision must not buffer an endless download. */
async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) throw new OutboundHttpDenied(`the response from ${response.url} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
