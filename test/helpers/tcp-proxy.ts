import net from 'node:net';

/**
 * A loopback TCP proxy that can stop forwarding without closing anything: what a network that
 * silently drops packets looks like to a client (queries hang instead of failing).
 */
export class TcpProxy {
  #server: net.Server | undefined;
  #paused = false;
  #cut: { readonly done: () => void; upstream?: net.Socket } | undefined;
  readonly #sockets = new Set<net.Socket>();
  port = 0;

  /** Chunks dropped while paused (a client that went on talking to the silent server). */
  swallowed = 0;

  /** Each chunk is forwarded this much later (both ways, in order): a slow, long-distance link. Set it before clients connect. */
  delayMs = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      // Timers of the same duration fire in the order they were set: chunks stay in order.
      const forward = (to: net.Socket, d: Buffer) => (this.#paused ? void this.swallowed++ : this.delayMs > 0 ? setTimeout(() => to.write(d), this.delayMs) : to.write(d));
      client.on('data', (d: Buffer) => {
        if (this.#cut && !this.#cut.upstream) this.#cut.upstream = upstream; // this request is delivered; its answer is not
        forward(upstream, d);
      });
      upstream.on('data', (d: Buffer) => {
        const cut = this.#cut;
        if (cut?.upstream !== upstream) return forward(client, d);
        // The server has done the work and answered: the client only sees its connection close.
        this.#cut = undefined;
        client.destroy();
        cut.done();
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server!.address() as net.AddressInfo).port;
  }

  /**
   * Delivers the next request any client sends, swallows the server's answer and closes that
   * client's connection: the server did the work and the client never hears (a COMMIT whose outcome
   * is unknown). Resolves once the server has answered.
   */
  cutAfterNextRequest(): Promise<void> {
    return new Promise((done) => (this.#cut = { done }));
  }

  /** Swallow traffic both ways (bytes sent while paused are lost, like dropped packets). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    // Connections that lost bytes are broken: end them so clients reconnect cleanly.
    for (const s of this.#sockets) s.destroy();
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
