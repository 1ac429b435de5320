import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { LocalPgCluster } from '../../src/local-pg/index.js';
import { readCorpus } from '../helpers/corpus.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/** A node keeps evaluating from memory while its only database is down, and catches up after. */
describe('evaluation while the database is down', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'verdict-outage-'));
  chmodSync(root, 0o755);
  // Durable: the stop below is a crash (immediate), and nothing acknowledged may be lost.
  const cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable: true });
  let server: TestServer;
  let token: string;
  const shipping = readCorpus('graphs', 'decision-table-shipping.json');
  const evaluate = (key: string, context: unknown) =>
    server.request('POST', `/api/projects/ops/evaluate/${key}`, { token: null, headers: { 'x-access-token': token }, body: { context } });

  beforeAll(async () => {
    await cluster.init();
    await cluster.start();
    const sql = connect(cluster.url(), { max: 4, connectTimeoutSeconds: 2 });
    await migrate(sql);
    server = await startTestServer({ database: { url: cluster.url(), name: 'postgres', sql, drop: () => sql.end({ timeout: 1 }) } });
    await server.request('POST', '/api/projects', { body: { key: 'ops' } });
    await server.request('POST', '/api/projects/ops/decisions', {
      body: { decisions: [{ key: 'shipping', content: shipping }, { key: 'version', content: expressionGraph({ v: "'one'" }) }] },
    });
    await server.request('POST', '/api/projects/ops/releases', { body: {} });
    await server.request('POST', '/api/projects/ops/environments', { body: { key: 'prod' } });
    await server.request('POST', '/api/projects/ops/environments/prod/deployments', { body: { release: 'latest' } });
    token = (await server.request('POST', '/api/projects/ops/environments/prod/tokens', { body: {} })).body.token;
    await waitFor('token to sync', () => server.dataPlane.runtime.state?.tokens.size === 1);
  });

  afterAll(async () => {
    await server?.close().catch(() => undefined);
    await cluster.stop('immediate').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('serves every request with Postgres stopped, reports it, and catches up when it is back', async () => {
    expect((await evaluate('shipping', shipping.tests[0].input)).status).toBe(200);

    await cluster.stop('immediate');
    await waitFor('the sync loop to notice', () => server.dataPlane.sync.status.consecutiveFailures > 0);
    for (const test of shipping.tests) {
      const res = await evaluate('shipping', test.input);
      expect(res.status).toBe(200);
      expect(res.body.result).toEqual(test.output);
    }
    const ready = await server.request('GET', '/health/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toMatch(/^unreachable/);
    const write = await server.request('POST', '/api/projects', { body: { key: 'while-down' } });
    expect(write.status).toBe(503);
    expect(write.body.code).toBe('database-unavailable');

    await cluster.start();
    await waitFor('the sync loop to recover', () => server.dataPlane.sync.status.consecutiveFailures === 0);
    expect((await server.request('PUT', '/api/projects/ops/decisions/version', { body: { content: expressionGraph({ v: "'two'" }) } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/ops/releases', { body: {} })).status).toBe(201);
    const deployed = await server.request('POST', '/api/projects/ops/environments/prod/deployments', { body: { release: 'latest' } });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    await waitFor('the new release to be served', async () => (await evaluate('version', {})).body.result?.v === 'two');
  });
});
