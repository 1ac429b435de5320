import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { Database } from '../../src/db/database.js';
import { bumpGeneration } from '../../src/db/generation.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A node in region B: its local database is the standby, its writer URL lists both servers. Real
 * primary, real streaming standby, real promotion.
 */
describe('a region-B node on a primary and a streaming standby', () => {
  let pair: ReplicatedPair;
  let node: TestServer;
  const evaluate = (token: string) =>
    node.request('POST', '/api/projects/geo/evaluate/calc', { token: null, headers: { 'x-access-token': token }, body: { context: {} } });

  beforeAll(async () => {
    pair = await startReplicatedPair();
    node = await startTestServer({ replicated: { writerUrl: pair.writerUrl, readerUrl: pair.url(pair.standby) } });
  });
  afterAll(async () => {
    await node?.close();
    await pair?.cleanup();
  });

  it('writes to the primary and reads from its local standby', async () => {
    expect(node.services.db.status().writer.host).toBe(`127.0.0.1:${pair.primary.port}`);
    await waitFor('the replica to be healthy and measured', () => node.services.db.status().reader?.healthy && node.services.db.status().reader?.lagMs !== null);
    // Heartbeats keep writing, so the replica may be a replay or two behind: close, not exact.
    expect(node.services.db.status().reader).toMatchObject({ host: `127.0.0.1:${pair.standby.port}`, standby: true, generation: 1 });
    expect(node.services.db.status().reader!.lagMs).toBeLessThan(10_000);

    expect((await node.request('POST', '/api/projects', { body: { key: 'geo' } })).status).toBe(201);
    const onPrimary = connect(pair.url(pair.primary), { max: 1 });
    const [row] = await onPrimary`SELECT key FROM projects`;
    await onPrimary.end();
    expect(row).toEqual({ key: 'geo' });
    await pair.caughtUp();
    expect((await node.request('GET', '/api/projects/geo')).status).toBe(200); // served by the standby

    // HAProxy-style role checks about this node's local database (the standby).
    expect((await node.request('GET', '/health/replica', { token: null })).status).toBe(200);
    const withinBytes = await node.request('GET', '/health/replica?lag=16MB', { token: null });
    expect(withinBytes.status).toBe(200);
    expect(withinBytes.body).toMatchObject({ role: 'replica', lagBytes: expect.any(Number) });
    expect((await node.request('GET', '/health/replica?lag=2s', { token: null })).status).toBe(200);
    expect((await node.request('GET', '/health/replica?lag=soon', { token: null })).status).toBe(400);
    expect((await node.request('GET', '/health/primary', { token: null })).status).toBe(503);
    // HAProxy's httpchk default method is OPTIONS; HEAD comes with GET.
    expect((await node.request('OPTIONS', '/health/replica', { token: null })).status).toBe(200);
    expect((await node.request('OPTIONS', '/health/primary', { token: null })).status).toBe(503);
    expect((await node.request('HEAD', '/health/replica', { token: null })).status).toBe(200);
    const health = (await node.request('GET', '/health')).body;
    expect(health.database).toMatchObject({ local: { role: 'replica' }, highestGeneration: 1, writer: { generation: 1 } });
  });

  it('after the primary is lost and the standby promoted, writes again without a restart, and fences the old primary', async () => {
    const setup = [
      await node.request('PUT', '/api/projects/geo/decisions/calc', { body: { content: expressionGraph({ v: "'one'" }) } }),
      await node.request('POST', '/api/projects/geo/releases', { body: {} }),
      await node.request('POST', '/api/projects/geo/environments', { body: { key: 'prod' } }),
      await node.request('POST', '/api/projects/geo/environments/prod/deployments', { body: { release: 'v1' } }),
    ];
    expect(setup.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const token = (await node.request('POST', '/api/projects/geo/environments/prod/tokens', { body: {} })).body.token;
    await waitFor('the node to serve v1', async () => (await evaluate(token)).status === 200);
    await pair.caughtUp();

    // Region A burns down.
    await pair.primary.stop('immediate');
    expect((await evaluate(token)).body.result).toEqual({ v: 'one' }); // evaluation never stops

    // The operator promotes region B (what `verdict dr promote` automates): pg_promote, bump generation.
    const promoted = connect(pair.url(pair.standby), { max: 1 });
    await promoted`SELECT pg_promote(wait => true)`;
    const generation = await bumpGeneration(promoted, 'test', 'region B promoted');
    await promoted.end();
    expect(generation).toBe(2);

    const write = await node.request('POST', '/api/projects', { body: { key: 'after-failover' } });
    expect(write.status, JSON.stringify(write.body)).toBe(201);
    expect(node.services.db.status().writer).toEqual({ host: `127.0.0.1:${pair.standby.port}`, generation: 2 });
    await waitFor('the local database to report as primary', async () => (await node.request('GET', '/health/primary', { token: null })).status === 200);

    // The old primary comes back, writable, with the old generation: it is fenced, not written to.
    await pair.primary.start();
    await node.services.db.probeHosts();
    const again = await node.request('POST', '/api/projects', { body: { key: 'after-return' } });
    expect(again.status).toBe(201);
    expect(node.services.db.status().writer.host).toBe(`127.0.0.1:${pair.standby.port}`);

    // A node that has seen generation 2 and can reach only the old primary refuses to write there.
    const stale = new Database({ writerUrl: pair.url(pair.primary), timeoutMs: 2000 });
    stale.observeGeneration(2);
    await expect(stale.transaction((tx) => tx`INSERT INTO projects (key, name, created_by) VALUES ('split', 'brain', 'x')`)).rejects.toThrow(
      /writable but fenced: cluster generation 1 is older than 2/,
    );
    expect(stale.status().fenced).toEqual([expect.objectContaining({ host: `127.0.0.1:${pair.primary.port}`, generation: 1 })]);
    await stale.close();
    const oldPrimary = connect(pair.url(pair.primary), { max: 1 });
    expect(await oldPrimary`SELECT key FROM projects WHERE key IN ('split', 'after-failover', 'after-return')`).toEqual([]);
    await oldPrimary.end();
  });

  it('never reads from a superseded primary, and refuses to write when two primaries share a generation', async () => {
    // After the last test: the standby is the primary at generation 2, the old primary is back at 1.
    const regionA = new Database({ writerUrl: pair.url(pair.standby), readerUrl: pair.url(pair.primary), timeoutMs: 2000 });
    try {
      await regionA.open();
      expect(regionA.status().reader).toMatchObject({ healthy: false, standby: false, generation: 1, error: expect.stringMatching(/fenced/) });
      expect(regionA.read).toBe(regionA.writerIfAny); // reads go to the real primary
    } finally {
      await regionA.close();
    }

    // Someone bumps the old primary by hand: two writable servers at generation 2.
    const oldPrimary = connect(pair.url(pair.primary), { max: 1 });
    await bumpGeneration(oldPrimary, 'test', 'a careless bump');
    await oldPrimary.end();
    const both = new Database({ writerUrl: pair.writerUrl, timeoutMs: 2000 });
    try {
      await expect(both.transaction((tx) => tx`SELECT 1`)).rejects.toThrow(/split brain: .* are both writable with cluster generation 2/);
      expect(both.status().splitBrain).toMatch(/both writable/);
    } finally {
      await both.close();
    }
  });
});
