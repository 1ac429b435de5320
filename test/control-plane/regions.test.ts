import { mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionsView } from '../../src/control-plane/regions/schemas.js';
import { topologyProbe } from '../../src/dr/regions-probe.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * GET /api/regions in both of its sources, on real PostgreSQL: a node given a topology probes
 * every server in it (one that never answers is shown unreachable within the probe timeout, and
 * probed once for every client), a node without one shows what its own connections see. Neither
 * shows a connection URL or password to anyone. Also the drill report folder and its pages.
 */
const SECRET = 's3cret-pw-never-shown';

/** A server that accepts connections and never says a word: a frozen or cut-off PostgreSQL. */
async function blackHole(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The test database's URL with a password added (the test cluster trusts loopback, so it still connects). */
const withPassword = (url: string): string => url.replace('postgres://postgres@', `postgres://postgres:${SECRET}@`);
const hostPort = (url: string): string => `${new URL(url).hostname}:${new URL(url).port}`;

function expectNoCredentials(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/postgres(ql)?:\/\//);
  expect(text).not.toMatch(/password/i);
}

describe('regions view from a topology file', () => {
  let server: TestServer;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let drills: string;

  beforeAll(async () => {
    hole = await blackHole();
    drills = mkdtempSync(path.join(tmpdir(), 'verdict-drills-'));
    const db = await createTestDatabase();
    const topology = {
      regions: [
        { name: 'east', postgres: { url: withPassword(db.url), standbyName: 'east' }, nodes: [] },
        { name: 'west', postgres: { url: `postgres://postgres:${SECRET}@127.0.0.1:${hole.port}/verdict`, standbyName: 'west' }, nodes: [] },
      ],
    };
    server = await startTestServer({
      database: db,
      node: { nodeId: 'east-a', region: 'east' },
      regions: { probe: topologyProbe(topology), probeTimeoutMs: 800, intervalMs: 2000, drillReportsDir: drills },
    });
  });
  afterAll(async () => {
    await server?.close();
    await hole?.close();
    if (drills) rmSync(drills, { recursive: true, force: true });
  });

  it('shows every region, the primary and the server that does not answer, without waiting for it', async () => {
    const viewer = await server.tokenFor('viewer');
    await waitFor('the node in the fleet', async () => (await server.request<RegionsView>('GET', '/api/regions', { token: viewer })).body.regions[0]?.nodes.length === 1);
    const started = Date.now();
    const res = await server.request<RegionsView>('GET', '/api/regions', { token: viewer });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.status).toBe(200);
    const view = res.body;
    expect(view).toMatchObject({ source: 'topology', health: 'ok', primaryRegion: 'east', highestGeneration: 1, node: { id: 'east-a', region: 'east' } });
    expect(view.regions.map((r) => [r.name, r.inTopology])).toEqual([
      ['east', true],
      ['west', true],
    ]);
    // East's server answers (its node may look stale for a moment on a busy machine: a warning at most).
    expect(view.regions[0]!.status, JSON.stringify(view.regions[0])).not.toBe('failed');
    expect(view.regions[1]!.status).toBe('failed');
    const [east, west] = view.servers;
    expect(east).toMatchObject({ address: hostPort(server.db.url), region: 'east', role: 'primary', generation: 1, fenced: false });
    expect(west).toMatchObject({ address: `127.0.0.1:${hole.port}`, region: 'west', role: 'unreachable' });
    expect(west!.problem).toMatch(/no answer within 800 ms/);
    expect(view.regions[1]!.problems[0]).toMatch(new RegExp(`PostgreSQL 127.0.0.1:${hole.port} is unreachable`));
    expect(view.regions[0]!.nodes[0]).toMatchObject({ nodeId: 'east-a', dbRole: 'primary' });
    expect(view.replication).toMatchObject({ mode: 'async' });
    // No standby streams: a loss now would lose what only the primary has.
    expect(view.rpoExposure).toMatchObject({ bytes: null, acknowledgedCommitsAtRisk: true });
    expectNoCredentials(view);
  });

  it('probes once for every client asking within an interval', async () => {
    const before = hole.connections();
    const answers = await Promise.all(Array.from({ length: 8 }, () => server.request<RegionsView>('GET', '/api/regions')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // At most the refresh under way and one more: never one probe per request.
    expect(hole.connections() - before).toBeLessThanOrEqual(2);
    expect(new Set(answers.map((a) => a.body.at)).size).toBeLessThanOrEqual(2);
  });

  it('lists drill reports with their verdicts and serves a page under a policy that runs nothing', async () => {
    const report = {
      startedAt: '2026-12-01T10:00:00.000Z',
      passed: false,
      config: { regions: 2, replication: { mode: 'async', standbys: 0 } },
      kill: { region: 'east' },
      promotion: { promoted: 'west', totalMs: 812 },
      writes: { acknowledged: 120, lost: ['k1', 'k2'], rtoMs: 2310 },
      checks: [{ name: 'rpo', ok: false, detail: '2 lost' }, { name: 'duplicates', ok: true, detail: 'none' }],
    };
    writeFileSync(path.join(drills, 'drill-1.html'), '<!doctype html><title>drill</title><p>PASSED</p>');
    writeFileSync(path.join(drills, 'drill-1.json'), JSON.stringify(report));
    writeFileSync(path.join(drills, 'drill-0.html'), '<!doctype html><title>no json</title>');
    // Without a JSON report a page is dated by its file: an old one.
    utimesSync(path.join(drills, 'drill-0.html'), new Date('2001-01-01'), new Date('2001-01-01'));
    writeFileSync(path.join(drills, 'notes.txt'), 'not a report');
    symlinkSync('/etc/hostname', path.join(drills, 'elsewhere.html'));
    // A later refresh lists them (the one under way may have read the folder before they were written).
    const body = await waitFor('the reports listed', async () => {
      const view = (await server.request<RegionsView>('GET', '/api/regions')).body;
      return view.drills.reports.length === 2 ? view : undefined;
    });
    expect(body.drills.configured).toBe(true);
    expect(body.drills.reports.map((r) => r.name)).toEqual(['drill-1', 'drill-0']);
    expect(body.drills.reports[0]).toMatchObject({ passed: false, replication: 'async', killedRegion: 'east', promoted: 'west', lostWrites: 2, writeRtoMs: 2310, promotionMs: 812, failedChecks: ['rpo'] });
    expect(body.drills.reports[1]).toMatchObject({ passed: null, lostWrites: null });

    const page = await fetch(`${server.url}/api/regions/drills/drill-1`, { headers: { authorization: `Bearer ${await server.tokenFor('viewer')}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(await page.text()).toContain('PASSED');
    for (const name of ['elsewhere', 'notes', 'missing', '..%2F..%2Fetc%2Fpasswd', '.hidden']) {
      const refused = await server.request('GET', `/api/regions/drills/${name}`);
      expect([400, 404], name).toContain(refused.status);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await server.request('GET', '/api/regions/drills/drill-1', { token: null })).status).toBe(401);
  });
});

describe("regions view from the node's own connections", () => {
  let server: TestServer;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two hosts in DATABASE_URL, one of them closed, and a password in the URL.
    const url = new URL(withPassword(db.url));
    server = await startTestServer({
      replicated: { writerUrl: `postgres://postgres:${SECRET}@${url.host},127.0.0.1:1${url.pathname}` },
      node: { nodeId: 'solo-a', region: 'solo' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('reports what its connections see, and says that is all it is', async () => {
    const viewer = await server.tokenFor('viewer');
    const view = (await waitFor('the node in the fleet', async () => {
      const res = await server.request<RegionsView>('GET', '/api/regions', { token: viewer });
      return res.body.regions.find((r) => r.name === 'solo')?.nodes.length === 1 ? res.body : undefined;
    }))!;
    expect(view).toMatchObject({ source: 'node', health: 'ok', primary: hostPort(db.url), highestGeneration: 1, replication: null, rpoExposure: null });
    expect(view.sourceDetail).toMatch(/topology/);
    expect(view.servers).toEqual([
      expect.objectContaining({ address: hostPort(db.url), role: 'primary', region: null, generation: 1 }),
      expect.objectContaining({ address: '127.0.0.1:1', role: 'unreachable', region: null }),
    ]);
    expect(view.servers[1]!.problem).toMatch(/ECONNREFUSED/);
    expect(view.regions.map((r) => r.name)).toEqual(['solo']);
    expect(view.drills).toEqual({ configured: false, reports: [], error: null });
    expectNoCredentials(view);
    expect((await server.request('GET', '/api/regions/drills/x')).status).toBe(404);
  });

  it('answers only callers with an API token', async () => {
    expect((await server.request('GET', '/api/regions', { token: null })).status).toBe(401);
    expect((await server.request('GET', '/api/regions/events', { token: null })).status).toBe(401);
  });
});
