import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { OutboundRefused, resolveOutbound, type OutboundPolicy, type ResolvedTarget } from '../../lib/outbound-address.js';

/** What one attempt came to; stored in the delivery log. */
export interface AttemptOutcome {
  readonly delivered: boolean;
  /** The receiver's status code; null when no answer came (refused, unreachable, timed out). */
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  /** The start of the response body, at most RESPONSE_SNIPPET_BYTES. */
  readonly responseSnippet: string | null;
}

export const RESPONSE_SNIPPET_BYTES = 1024;
const MAX_ERROR_CHARS = 1000;

export interface OutgoingDelivery {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * POSTs one delivery. The URL is checked again now (DNS may have changed since it was subscribed)
 * and the connection goes to the address that was checked, not to a second lookup's answer.
 * Redirects are not followed (a redirect could lead around the policy) and count as failures;
 * only 2xx is delivered.
 */
export async function sendDelivery(delivery: OutgoingDelivery, policy: OutboundPolicy, timeoutMs: number): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target: ResolvedTarget;
  try {
    target = await resolveOutbound(delivery.url, policy);
  } catch (error) {
    const reason = error instanceof OutboundRefused ? `refused: ${error.message}` : (error as Error).message;
    return { delivered: false, statusCode: null, durationMs: elapsed(), error: bounded(reason), responseSnippet: null };
  }
  try {
    const { statusCode, snippet } = await post(target, delivery, timeoutMs);
    const delivered = statusCode >= 200 && statusCode < 300;
    return { delivered, statusCode, durationMs: elapsed(), error: delivered ? null : `answered ${statusCode}`, responseSnippet: snippet };
  } catch (error) {
    return { delivered: false, statusCode: null, durationMs: elapsed(), error: bounded(describe(error, timeoutMs)), responseSnippet: null };
  }
}

function post(target: ResolvedTarget, delivery: OutgoingDelivery, timeoutMs: number): Promise<{ statusCode: number; snippet: string }> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const body = Buffer.from(delivery.body);
  const send = target.url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const request = send(
      target.url,
      {
        method: 'POST',
        headers: { ...delivery.headers, 'content-length': String(body.length) },
        lookup: pinned,
        agent: false, // one connection per attempt: nothing pooled under a name resolved elsewhere
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          response.destroy();
          resolve({ statusCode: response.statusCode ?? 0, snippet: Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString('utf8').replaceAll('\u0000', '') });
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_SNIPPET_BYTES) finish(); // the rest is not read: a receiver cannot make us download much
        });
        response.on('end', finish);
        response.on('error', () => finish());
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function describe(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return e.message || e.code || e.cause?.code || String(error);
}

function bounded(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}
