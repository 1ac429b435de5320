import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressionGraph } from '../helpers/graphs.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Deploys reach nodes by notification, not by the poll: both nodes poll once an hour here, so a
 * deploy they serve within the wait below was pushed. Node b reads from a streaming standby: the
 * notification comes from the primary, and b reloads once its standby has replayed the deploy.
 */
describe('push propagation of deploys (LISTEN/NOTIFY, standby replay)', () => {
  let pair: ReplicatedPair;
  let a: TestServer;
  let b: TestServer;
  const HOUR = 3_600_000;

  beforeAll(async () => {
    pair = await startReplicatedPair({ durable: false });
    a = await startTestServer({ replicated: { writerUrl: pair.writerUrl }, syncIntervalMs: HOUR });
    b = await startTestServer({ replicated: { writerUrl: pair.writerUrl, readerUrl: pair.url(pair.standby) }, syncIntervalMs: HOUR });
    await a.request('POST', '/api/projects', { body: { key: 'push' } });
    for (const v of ['one', 'two']) {
      await a.request('PUT', '/api/projects/push/decisions/calc', { body: { content: expressionGraph({ v: `'${v}'` }) } });
      await a.request('POST', '/api/projects/push/releases', { body: { label: v } });
    }
    await a.request('POST', '/api/projects/push/environments', { body: { key: 'prod' } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pair?.cleanup();
  });

  const served = (node: TestServer) => node.dataPlane.runtime.state?.environments.get('push/prod')?.release?.label;

  it('serves each deploy on both nodes without waiting for the hourly poll', async () => {
    for (const release of ['one', 'two', 'one']) {
      const res = await a.request('POST', '/api/projects/push/environments/prod/deployments', { body: { release } });
      expect(res.status).toBe(201);
      await waitFor(`both nodes to serve ${release}`, () => served(a) === release && served(b) === release, 30_000);
    }
    // The standby node learned it from its own database (the replica), never from the primary's catalog.
    expect(b.services.db.status().reader?.standby).toBe(true);
  });
});
