import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

/**
 * A request longer than this is a hang (issue 10: "no request takes > 5 s"). FUZZ_HANG_MS changes
 * it: the short run inside `npm test` shares a busy machine and allows more.
 */
export const hangMs = (): number => Number(process.env.FUZZ_HANG_MS ?? 5000);

export interface FuzzRequest {
  readonly method: string;
  /** Path and query, as sent (already encoded, or deliberately not). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string | Buffer | undefined;
  /** The metrics listener instead of the main port. */
  readonly metricsPort?: boolean | undefined;
  /** Raw bytes written to a socket instead (malformed HTTP the client library would refuse to send). */
  readonly raw?: Buffer | undefined;
}

export interface FuzzResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type Outcome =
  | { readonly kind: 'response'; readonly response: FuzzResponse; readonly ms: number }
  | { readonly kind: 'hang'; readonly ms: number }
  /** The connection ended without an answer. */
  | { readonly kind: 'no-answer'; readonly error: string; readonly ms: number }
  /** The HTTP client refused the request as written (a generator bug, not the server's). */
  | { readonly kind: 'unsendable'; readonly error: string; readonly ms: number };

/**
 * Sends one request on a fresh connection (closed by the fuzzer once answered), with the hang deadline. Requests
 * are written by hand on a socket, the way curl sends them: the body goes out in chunks, and once
 * an answer arrives (a 401 or 413 before the body was read) the rest is not sent, so the answer is
 * read before the server closes the connection. (Node's HTTP client keeps writing into the closed
 * connection and reports EPIPE instead of the answer.) Headers go out exactly as generated.
 */
export function send(port: number, request: FuzzRequest, options: SendOptions = {}): Promise<Outcome> {
  if (request.raw) return exchange(port, request.raw, undefined, 'RAW', 0);
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const lines = [`${request.method} ${request.path} HTTP/1.1`];
  const names = new Set(Object.keys(request.headers).map((n) => n.toLowerCase()));
  if (!names.has('host')) lines.push(`Host: 127.0.0.1:${port}`);
  // Keep-alive, as HTTP clients send it: a request answered before its body was read (401, 404)
  // then has the rest of its body read and dropped by the server instead of its connection reset.
  for (const [name, value] of Object.entries(request.headers)) for (const v of [value].flat()) lines.push(`${name}: ${v}`);
  if (body !== undefined && !names.has('content-length') && !names.has('transfer-encoding')) lines.push(`Content-Length: ${body.length}`);
  const wait = body === undefined ? 0 : options.bodyLimitBytes !== undefined && body.length > options.bodyLimitBytes ? REFUSED_BODY_WAIT_MS : body.length > EARLY_ANSWER_BYTES ? EARLY_ANSWER_WAIT_MS : 0;
  return exchange(port, Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body, request.method, wait);
}

export interface SendOptions {
  /**
   * The server's body limit: a larger body is answered 413 from its Content-Length and the
   * connection closed (Fastify does not linger), so the client waits for that answer, up to 1 s as
   * curl does for Expect: 100-continue, before it sends the body.
   */
  readonly bodyLimitBytes?: number | undefined;
}

const CHUNK = 64 * 1024;
const EARLY_ANSWER_BYTES = 256 * 1024;
const EARLY_ANSWER_WAIT_MS = 150;
const REFUSED_BODY_WAIT_MS = 1000;

/** Writes the head and body and reads the first final response (after any 1xx), or what the connection ended with. */
function exchange(port: number, head: Buffer, body: Buffer | undefined, method: string, earlyAnswerWaitMs: number): Promise<Outcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    let received = Buffer.alloc(0);
    let wake: (() => void) | undefined;
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      wake?.();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ kind: 'hang', ms: elapsed() }), hangMs());
    const tryParse = (closed: boolean) => {
      const parsed = parseResponse(received, closed, method === 'HEAD');
      if (parsed) done({ kind: 'response', response: parsed, ms: elapsed() });
      else if (closed) {
        const what = received.length ? `unparseable answer: ${JSON.stringify(received.subarray(0, 200).toString('latin1'))}` : 'closed without an answer';
        done({ kind: 'no-answer', error: body && sent < body.length ? `${what}, with ${sent} of ${body.length} body bytes sent` : what, ms: elapsed() });
      }
    };
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      wake?.();
      tryParse(false);
    });
    socket.once('end', () => tryParse(true));
    socket.once('close', () => tryParse(true));
    // EPIPE or a reset while the body is still going out: what was answered before it counts.
    socket.on('error', () => undefined);
    socket.on('drain', () => wake?.());
    let sent = 0;
    void (async () => {
      socket.write(head);
      if (!body) return;
      // A large body waits a moment for an early answer (401, 404, 413 by Content-Length), as curl
      // does with Expect: 100-continue: loopback buffers take megabytes at once, so the answer
      // would otherwise come after the whole body was written, and be lost in the reset.
      if (earlyAnswerWaitMs > 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, earlyAnswerWaitMs);
        });
        wake = undefined;
      }
      for (let at = 0; at < body.length && !settled && received.length === 0 && !socket.destroyed; at += CHUNK) {
        const more = socket.write(body.subarray(at, at + CHUNK));
        sent = Math.min(at + CHUNK, body.length);
        if (!more) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        await new Promise((resolve) => setImmediate(resolve)); // let an early answer be read first
      }
    })();
  });
}

function parseResponse(data: Buffer, closed: boolean, head: boolean): FuzzResponse | undefined {
  let start = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start);
    if (end < 0) return undefined;
    const lines = data.subarray(start, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!status) return undefined;
    const code = Number(status[1]);
    if (code >= 100 && code < 200) {
      start = end + 4; // 100 Continue: the answer follows
      continue;
    }
    const headers: IncomingHttpHeaders = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const rest = data.subarray(end + 4);
    if (head || code === 204 || code === 304) return { status: code, headers, body: Buffer.alloc(0) };
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    if (length !== undefined) return rest.length >= length ? { status: code, headers, body: rest.subarray(0, length) } : undefined;
    if (String(headers['transfer-encoding'] ?? '').toLowerCase() === 'chunked') {
      const body = dechunk(rest);
      return body ? { status: code, headers, body } : undefined;
    }
    return closed ? { status: code, headers, body: rest } : undefined;
  }
}
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
