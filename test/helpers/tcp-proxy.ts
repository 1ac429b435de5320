import net from 'node:net';

/**
 * A loopback TCP proxy that can stop forwarding without closing anything: what a network that
 * silently drops packets looks like to a client (queries hang instead of failing).
 */
export class TcpProxy {
  #server: net.Server | undefined;
  #paused = false;
  readonly #sockets = new Set<net.Socket>();
  port = 0;

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
      const forward = (to: net.Socket, d: Buffer) => (this.#paused ? undefined : this.delayMs > 0 ? setTimeout(() => to.write(d), this.delayMs) : to.write(d));
      client.on('data', (d: Buffer) => forward(upstream, d));
      upstream.on('data', (d: Buffer) => forward(client, d));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server!.address() as net.AddressInfo).port;
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
