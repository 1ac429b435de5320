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

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('data', (d) => (this.#paused ? undefined : upstream.write(d)));
      upstream.on('data', (d) => (this.#paused ? undefined : client.write(d)));
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
