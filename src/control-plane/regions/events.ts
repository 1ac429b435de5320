import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { RegionsHub } from './hub.js';
import type { RegionsView } from './schemas.js';

export interface EventStreamsOptions {
  /** Streams open at once on this node; one more gets 503 (default 32). */
  readonly maxStreams?: number;
  /** A comment line this often keeps proxies and load balancers from closing a quiet stream (default 15 s). */
  readonly heartbeatMs?: number;
  /**
   * A stream ends after this long (default 5 min) and the browser reconnects (EventSource does so
   * by itself): the reconnection is authenticated again, so a revoked token or an expired session
   * stops receiving within this bound.
   */
  readonly lifetimeMs?: number;
  /** What the browser waits before reconnecting (the `retry:` field; default 2 s). */
  readonly retryMs?: number;
}

/** A client that reads nothing holds at most this much unsent data before its stream is ended. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The text/event-stream answers of GET /api/regions/events: each open stream gets the hub's
 * latest picture at once, then every new one (`event: regions`), and a heartbeat comment between.
 * Bounded in number, ended when the server closes (so `verdict serve` stops at once) and after
 * their lifetime.
 */
export class RegionEventStreams {
  readonly #hub: RegionsHub;
  readonly #max: number;
  readonly #heartbeatMs: number;
  readonly #lifetimeMs: number;
  readonly #retryMs: number;
  readonly #open = new Set<() => void>();
  #closing = false;

  constructor(hub: RegionsHub, options: EventStreamsOptions = {}) {
    this.#hub = hub;
    this.#max = options.maxStreams ?? 32;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#lifetimeMs = options.lifetimeMs ?? 5 * 60_000;
    this.#retryMs = options.retryMs ?? 2000;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Takes the request over and streams; refuses (as a problem document) before taking it over. */
  open(request: FastifyRequest, reply: FastifyReply): void {
    if (this.#closing) throw new AppError('not-ready', 'the server is shutting down');
    if (this.#open.size >= this.#max) {
      reply.header('retry-after', String(Math.ceil(this.#retryMs / 1000) + 8));
      throw new AppError('too-many-streams', `this node serves at most ${this.#max} event streams at once (VERDICT_REGIONS_MAX_STREAMS); poll GET /api/regions instead, or retry later`, {
        limit: this.#max,
      });
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      // Security headers, the request id and no-store, as every answer gets them.
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies that buffer answers (nginx) would hold the events back.
      'x-accel-buffering': 'no',
      // When the stream ends the connection goes too: a server closing down has nothing left open.
      connection: 'close',
    });
    let id = 0;
    const write = (chunk: string) => {
      if (res.writableEnded || res.destroyed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) return end();
      res.write(chunk);
    };
    write(`retry: ${this.#retryMs}\n\n`);
    const send = (view: RegionsView) => write(`id: ${++id}\nevent: regions\ndata: ${JSON.stringify(view)}\n\n`);
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), this.#heartbeatMs);
    const lifetime = setTimeout(() => end(), this.#lifetimeMs);
    // Filled in once subscribed; the first picture may be sent (and the stream end) within subscribe().
    const subscription = { cancel: (): void => undefined };
    const end = () => {
      if (!this.#open.delete(end)) return;
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      subscription.cancel();
      if (!res.writableEnded) res.end();
    };
    this.#open.add(end);
    // The client went away (tab closed, network lost): stop pushing to it.
    request.raw.socket.once('close', end);
    res.once('close', end);
    subscription.cancel = this.#hub.subscribe(send);
    if (!this.#open.has(end)) subscription.cancel(); // ended meanwhile
    request.log.info({ streams: this.#open.size }, 'regions event stream opened');
  }

  /** Ends every stream; new ones are refused from now on. Called when the server begins to close. */
  closeAll(): void {
    this.#closing = true;
    for (const end of [...this.#open]) end();
  }
}
