import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `/cluster` answers recorded from Patroni 3.0.2: rendered by its own `cluster_as_json`, the code
 * `GET /cluster` serves (test/patroni/fixtures/make-cluster-json.py).
 */
export const patroniFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../patroni/fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/**
 * A recorded answer whose members advertise the given REST APIs (`api_url`): the fixtures name
 * 127.0.1.x:8008, where a test's stand-ins cannot listen, so each stand-in's own address is put in.
 */
export function withApiUrls(cluster: Record<string, unknown>, apiUrls: Readonly<Record<string, string>>): Record<string, unknown> {
  const members = (cluster.members as Record<string, unknown>[]).map((m) => {
    const url = apiUrls[m.name as string];
    return url === undefined ? m : { ...m, api_url: `${url}/patroni` };
  });
  return { ...cluster, members };
}

export interface FakeMember {
  readonly url: string;
  /** What `/cluster` answers from now on. */
  serve(cluster: unknown): void;
  close(): Promise<void>;
}

/**
 * A stand-in for one member's REST API: `/cluster` from a recorded answer, `/leader` with a
 * status; `hang` answers nothing (a frozen host: the request stays open until the client gives up);
 * `status` answers every request with that status and a non-JSON body.
 */
export async function fakeMember(options: { cluster?: unknown; leader?: number; hang?: boolean; status?: number; body?: string }): Promise<FakeMember> {
  let cluster = options.cluster;
  const server = http.createServer((req, res) => {
    if (options.hang) return;
    if (options.status !== undefined) {
      res.writeHead(options.status, { 'content-type': 'text/html' }).end(options.body ?? '<html>not patroni</html>');
      return;
    }
    if (req.url === '/cluster') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(cluster));
    else if (req.url === '/leader') res.writeHead(options.leader ?? 503, { 'content-type': 'application/json' }).end('{"state": "running"}');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serve: (next) => {
      cluster = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A REST URL where nothing listens (connection refused): a member whose host is up but whose Patroni is dead. */
export async function closedUrl(): Promise<string> {
  const gone = await fakeMember({});
  await gone.close();
  return gone.url;
}
