import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const REQUEST_TIMEOUT_MS = 1500;
const MAX_CONNECTIONS = 6;

/** A raw client connection: what it received and whether the server closed it. */
class RawClient {
  readonly socket: net.Socket;
  received = '';
  closed = false;
  readonly opened = Date.now();
  closedAt = 0;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    this.socket.on('error', () => undefined); // a dropped connection is a reset: observed through 'close'
    this.socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
    });
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connecting) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  /** Sends a complete GET and waits for its whole answer (keep-alive: the connection stays open). */
  async get(path: string): Promise<string> {
    const before = this.received.length;
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: verdict\r\n\r\n`);
    await waitFor(`an answer to GET ${path}`, () => this.closed || /\r\n\r\n\{.*\}$/s.test(this.received.slice(before)), 10_000);
    return this.received.slice(before);
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('HTTP server limits', () => {
  let server: TestServer;
  let port: number;
  const clients: RawClient[] = [];
  const client = () => {
    const c = new RawClient(port);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    server = await startTestServer({ requestTimeoutMs: REQUEST_TIMEOUT_MS, maxConnections: MAX_CONNECTIONS });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  it('cuts off clients that trickle a body, and keeps answering others meanwhile', async () => {
    // Idle keep-alive connections are not requests in progress: they must outlive the deadline.
    const idle = client();
    expect(await idle.get('/health/live')).toMatch(/^HTTP\/1\.1 200/);

    const trickle = (headers: string) => {
      const c = client();
      c.socket.write(`POST /api/projects HTTP/1.1\r\nHost: verdict\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${headers}\r\n`);
      c.socket.write('{"key": "');
      const timer = setInterval(() => (c.closed ? clearInterval(timer) : c.socket.write('a')), 100);
      return c;
    };
    const authenticated = trickle(`Authorization: Bearer ${server.adminToken}\r\n`);
    const anonymous = trickle('');

    // While both trickle, other clients are served.
    const others: number[] = [];
    while (!authenticated.closed || !anonymous.closed) {
      const started = Date.now();
      const other = client();
      expect(await other.get('/health/live')).toMatch(/^HTTP\/1\.1 200/);
      other.close();
      others.push(Date.now() - started);
      if (Date.now() - authenticated.opened > 20_000) break;
    }
    await waitFor('both trickling connections to be closed by the server', () => authenticated.closed && anonymous.closed, 20_000);
    expect(others.length).toBeGreaterThan(0);

    // The authenticated one waited for its body until the deadline: 408.
    expect(authenticated.received).toMatch(/^HTTP\/1\.1 408/);
    const lasted = authenticated.closedAt - authenticated.opened;
    expect(lasted).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(lasted).toBeLessThan(REQUEST_TIMEOUT_MS + 5000); // Node's own default would be 300 s
    // The anonymous one was refused at once, before its body, and dropped at the same deadline.
    expect(anonymous.received).toMatch(/^HTTP\/1\.1 401/);
    expect(anonymous.closedAt - anonymous.opened).toBeLessThan(REQUEST_TIMEOUT_MS + 5000);

    // The deadline has passed for the idle connection too; it is still open and serves.
    expect(idle.closed).toBe(false);
    expect(await idle.get('/health/live')).toMatch(/^HTTP\/1\.1 200/);
    for (const c of [idle, authenticated, anonymous]) c.close();
  });

  it(`drops connections beyond the cap, and accepts again once one closes`, async () => {
    const connections = async () => new Promise<number>((resolve, reject) => server.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    await waitFor('earlier connections to be closed', async () => (await connections()) === 0);
    const held: RawClient[] = [];
    const open = await connections();
    for (let i = open; i < MAX_CONNECTIONS; i++) {
      const c = client();
      expect(await c.get('/health/live')).toMatch(/^HTTP\/1\.1 200/);
      held.push(c);
    }
    expect(await connections()).toBe(MAX_CONNECTIONS);

    const refused = client();
    await refused.connected().catch(() => undefined);
    refused.socket.write('GET /health/live HTTP/1.1\r\nHost: verdict\r\n\r\n');
    await waitFor('the connection beyond the cap to be dropped', () => refused.closed, 10_000);
    expect(refused.received).toBe('');

    held[0]!.close();
    await waitFor('the server to see the connection closed', async () => (await connections()) < MAX_CONNECTIONS);
    const again = client();
    expect(await again.get('/health/live')).toMatch(/^HTTP\/1\.1 200/);
  });
});
