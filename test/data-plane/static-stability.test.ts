import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { LocalPgCluster } from '../../src/local-pg/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { expressionGraph } from '../helpers/graphs.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'vrd_api_static-stability-admin-token-0123456789';

async function call(server: RunningServer, method: string, p: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }) {
  const res = await fetch(`${server.url}${p}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A node started while every database is down serves from its last-known-good snapshot. */
describe('static stability', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'verdict-static-'));
  chmodSync(root, 0o755);
  const cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable: true });
  const snapshotDir = path.join(root, 'snapshot');
  const servers: RunningServer[] = [];
  const start = async () => {
    const config = loadConfig({
      DATABASE_URL: cluster.url(),
      PORT: '0',
      VERDICT_ADMIN_TOKEN: ADMIN,
      VERDICT_SNAPSHOT_DIR: snapshotDir,
      VERDICT_DB_TIMEOUT_MS: '1000',
      VERDICT_SYNC_INTERVAL_MS: '50',
      VERDICT_METRICS_PORT: '0',
    });
    const server = await startServer(config, pino({ level: 'silent' }));
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    await cluster.init();
    await cluster.start();
  });
  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => undefined);
    await cluster.stop('immediate').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('writes a snapshot, starts from it with no database, and catches up when one is back', async () => {
    const first = await start();
    await call(first, 'POST', '/api/projects', { key: 'shop' });
    await call(first, 'PUT', '/api/projects/shop/decisions/calc', { content: expressionGraph({ v: "'one'" }) });
    await call(first, 'POST', '/api/projects/shop/releases', {});
    await call(first, 'POST', '/api/projects/shop/environments', { key: 'prod' });
    await call(first, 'POST', '/api/projects/shop/environments/prod/deployments', { release: 'v1' });
    const token = (await call(first, 'POST', '/api/projects/shop/environments/prod/tokens', {})).body.token as string;
    const evaluate = (server: RunningServer) => call(server, 'POST', '/api/projects/shop/evaluate/calc', { context: {} }, { 'x-access-token': token });
    await waitFor('v1 served', async () => (await evaluate(first)).status === 200);
    await first.close();
    expect(JSON.parse(readFileSync(path.join(snapshotDir, 'serving-snapshot.json'), 'utf8')).sha256).toMatch(/^[0-9a-f]{64}$/);

    await cluster.stop('immediate');
    const second = await start();
    const res = await evaluate(second);
    expect(res).toMatchObject({ status: 200, body: { result: { v: 'one' }, details: { releaseLabel: 'v1' } } });
    // No database to check an API token against: the metrics listener gives the details.
    const health = (await (await fetch(`${second.app.metricsUrl}/health`)).json()) as { serving: unknown };
    expect(health.serving).toMatchObject({ source: 'snapshot', changeCounter: expect.any(Number) });
    expect((await call(second, 'GET', '/health/ready')).status).toBe(200);
    expect((await call(second, 'POST', '/api/projects', { key: 'nope' })).status).toBe(503);

    await cluster.start();
    await waitFor('the node to reach the database', () => second.dataPlane.sync.status.consecutiveFailures === 0, 30_000);
    await call(second, 'PUT', '/api/projects/shop/decisions/calc', { content: expressionGraph({ v: "'two'" }) });
    await call(second, 'POST', '/api/projects/shop/releases', {});
    await call(second, 'POST', '/api/projects/shop/environments/prod/deployments', { release: 'v2' });
    await waitFor('v2 served', async () => (await evaluate(second)).body.result?.v === 'two');
    expect((await call(second, 'GET', '/health')).body.serving.source).toBe('database');
    await second.close();
  });

  it('refuses a snapshot that does not match its hash', async () => {
    const file = path.join(snapshotDir, 'serving-snapshot.json');
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...stored, body: stored.body.replace('"changeCounter":', '"changeCounter":1') }));
    await cluster.stop('immediate');
    await expect(start()).rejects.toThrow(/does not match its SHA-256/);
    await cluster.start();
  });
});
