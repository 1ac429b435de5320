import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { promotePatroni } from '../../src/dr/promote-patroni.js';
import type { Topology } from '../../src/topology/model.js';

/**
 * The refusals of `dr promote` on a Patroni topology, before anything is changed. The promotion
 * itself runs against real Patroni, etcd and HAProxy in `npm run test:patroni`
 * (src/patroni-lab/harness/): here each member's REST API answers /cluster as Patroni 3.0.2 did
 * (fixtures/make-cluster-json.py), and PATCH /config must never arrive.
 */
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

const servers: http.Server[] = [];
const patches: string[] = [];

async function member(cluster: unknown): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.method === 'PATCH') patches.push(req.url ?? '');
    if (req.url === '/cluster') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(cluster));
    else res.writeHead(503).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on: a region whose hosts are gone. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const topology = (a: string[], b: string[]): Topology => ({
  primary: 'region-a',
  regions: [
    { name: 'region-a', postgres: { url: 'postgres://postgres@127.0.0.1:9/verdict', standbyName: 'region_a' }, nodes: [], patroni: { restUrls: a } },
    { name: 'region-b', postgres: { url: 'postgres://postgres@127.0.0.1:9/verdict', standbyName: 'region_b' }, nodes: [], patroni: { restUrls: b } },
  ],
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
  patches.length = 0;
});

describe('verdict dr promote on a Patroni topology: refusals', () => {
  it('refuses while the primary region still has a leader running as primary (two primaries otherwise)', async () => {
    const a = await member(fixture('cluster-sync.json'));
    const b = await member(fixture('cluster-standby.json'));
    await expect(promotePatroni({ topology: topology([a], [b]) }, { confirmOldPrimaryLost: true })).rejects.toThrow(
      /region-a's Patroni cluster still has a leader \(a1\) running as primary: promoting region-b now would make two primaries/,
    );
    expect(patches).toEqual([]);
  });

  it('asks for --confirm-old-primary-lost when the primary region does not answer', async () => {
    const b = await member(fixture('cluster-standby.json'));
    await expect(promotePatroni({ topology: topology([await deadUrl()], [b]) })).rejects.toThrow(
      /the primary region region-a cannot be reached \(.*ECONNREFUSED.*\)\. If it is lost, not merely cut off from here, repeat with --confirm-old-primary-lost/,
    );
    expect(patches).toEqual([]);
  });

  it('refuses a region that runs no standby cluster', async () => {
    const a = await member(fixture('cluster-leaderless.json'));
    const b = await member(fixture('cluster-standby.json'));
    await expect(promotePatroni({ topology: topology([a], [b]) }, { region: 'region-a', confirmOldPrimaryLost: true })).rejects.toThrow(
      /region-a does not run a standby cluster with a standby leader \(it has no leader\)/,
    );
    expect(patches).toEqual([]);
  });
});
