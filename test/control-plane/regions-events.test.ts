import { afterAll, describe, expect, it } from 'vitest';
import type { RegionsView } from '../../src/control-plane/regions/schemas.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * GET /api/regions/events: the regions picture as server-sent events. A stream gets the picture at
 * once and after every refresh, heartbeats between, a bounded number of streams per node, and
 * every stream ends when the server closes, which then stops at once.
 */
interface Stream {
  readonly response: Response;
  /** Reads until `count` events of type `regions` arrived; returns them parsed. */
  events(count: number, timeoutMs?: number): Promise<RegionsView[]>;
  /** Whether a heartbeat comment has been seen so far. */
  heartbeats(): number;
  /** Resolves when the server ends the stream. */
  ended(): Promise<void>;
  /** The client goes away. */
  close(): Promise<void>;
}

async function openStream(server: TestServer, token: string): Promise<Stream> {
  const response = await fetch(`${server.url}/api/regions/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let heartbeats = 0;
  const events: RegionsView[] = [];
  let done = false;
  const pump = async (until: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (done) throw new Error('the stream ended');
      if (Date.now() > deadline) throw new Error(`no more events within ${timeoutMs} ms (have ${events.length})`);
      const chunk = await Promise.race([reader.read(), new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 1000))]);
      if (chunk === 'late') continue;
      if (chunk.done) {
        done = true;
        continue;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(': heartbeat')) heartbeats++;
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (block.includes('event: regions') && data) events.push(JSON.parse(data.slice(6)) as RegionsView);
      }
    }
  };
  return {
    response,
    async events(count, timeoutMs = 30_000) {
      await pump(() => events.length >= count, timeoutMs);
      return events.slice(0, count);
    },
    heartbeats: () => heartbeats,
    close: () => reader.cancel(),
    async ended() {
      await pump(() => done, 30_000).catch((error: Error) => {
        if (!done) throw error;
      });
    },
  };
}

describe('regions event stream', () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it('pushes the picture at once and after every refresh, with heartbeats', async () => {
    server = await startTestServer({ regions: { intervalMs: 300, heartbeatMs: 200, maxStreams: 2 } });
    const stream = await openStream(server, await server.tokenFor('viewer'));
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.response.headers.get('cache-control')).toBe('no-store');
    expect(stream.response.headers.get('x-content-type-options')).toBe('nosniff');
    const [first, second, third] = await stream.events(3);
    expect(first).toMatchObject({ source: 'node', health: 'ok' });
    // Each is a fresh picture, not the same one repeated.
    expect(new Set([first!.at, second!.at, third!.at]).size).toBe(3);
    expect(stream.heartbeats()).toBeGreaterThan(0);
    await stream.close();
  });

  it('refuses a stream beyond the limit with a problem document', async () => {
    const token = await server!.tokenFor('viewer');
    const open = [await openStream(server!, token), await openStream(server!, token)];
    await Promise.all(open.map((s) => s.events(1)));
    const refused = await fetch(`${server!.url}/api/regions/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refused.json()).toMatchObject({ code: 'too-many-streams', limit: 2 });
    // A stream that ends frees its place.
    await open[0]!.close();
    const again = await (async () => {
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${server!.url}/api/regions/events`, { headers: { authorization: `Bearer ${token}` } });
        if (res.status === 200) return res;
        await res.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return undefined;
    })();
    expect(again?.status).toBe(200);
    await again?.body?.cancel();
    await open[1]!.close();
  });

  it('ends every stream when the server closes, and the server stops at once', async () => {
    const token = await server!.tokenFor('viewer');
    const stream = await openStream(server!, token);
    await stream.events(2);
    const started = Date.now();
    const closing = server!.close();
    server = undefined;
    await stream.ended();
    await closing;
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
