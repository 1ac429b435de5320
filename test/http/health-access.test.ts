import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/** What /health and /metrics tell whom: load balancers get status codes, operators the details. */
describe('health and metrics access', () => {
  let server: TestServer;
  let viewer: string;
  let dbHost: string;
  const secretNames = ['acme-pricing', 'eu-prod', 'secret-rule'];

  beforeAll(async () => {
    server = await startTestServer({ metricsPort: 0 });
    dbHost = new URL(server.db.url).host;
    const [project, env, key] = secretNames;
    await server.request('POST', '/api/projects', { body: { key: project } });
    await server.request('PUT', `/api/projects/${project}/decisions/${key}`, { body: { content: expressionGraph({ v: "'one'" }) } });
    await server.request('POST', `/api/projects/${project}/releases`, { body: { label: 'r-hidden' } });
    await server.request('POST', `/api/projects/${project}/environments`, { body: { key: env } });
    await server.request('POST', `/api/projects/${project}/environments/${env}/deployments`, { body: { release: 'r-hidden' } });
    const token = (await server.request('POST', `/api/projects/${project}/environments/${env}/tokens`, { body: {} })).body.token;
    await waitFor('the release to be served', async () => {
      const res = await server.request('POST', `/api/projects/${project}/evaluate/${key}`, { token: null, headers: { 'x-access-token': token }, body: { context: {} } });
      return res.status === 200;
    });
    viewer = await server.tokenFor('viewer');
  });
  afterAll(() => server?.close());

  const leaks = (text: string) => [...secretNames, 'r-hidden', dbHost].filter((name) => text.includes(name));

  it('tells anonymous callers the status and role, nothing else', async () => {
    const health = await server.request('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ready', role: 'primary' });

    const ready = await server.request('GET', '/health/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { servingState: 'loaded', database: 'ok' } });
    const primary = await server.request('GET', '/health/primary', { token: null });
    expect(primary).toMatchObject({ status: 200, body: { role: 'primary', detail: 'the local database is the primary' } });
    const replica = await server.request('GET', '/health/replica', { token: null });
    expect(replica.status).toBe(503);
    for (const res of [health, ready, primary, replica]) expect(leaks(JSON.stringify(res.body))).toEqual([]);
    expect((await server.request('GET', '/health/live', { token: null })).body).toEqual({ status: 'ok' });
  });

  it('requires an API token for /metrics, which names projects, environments and decisions', async () => {
    const anonymous = await server.request('GET', '/metrics', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(leaks(JSON.stringify(anonymous.body))).toEqual([]);
    expect((await server.request('GET', '/metrics', { token: 'vrd_api_unknown' })).status).toBe(401);

    const scraped = await server.request('GET', '/metrics', { token: viewer });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(scraped.headers.get('cache-control')).toBe('no-store');
    expect(scraped.body).toMatch(/verdict_evaluations_total\{project="acme-pricing",environment="eu-prod",decision="secret-rule",outcome="ok"\} 1/);
  });

  it('gives the details to callers with an API token, and refuses a bad token', async () => {
    const health = await server.request('GET', '/health', { token: viewer });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ready',
      role: 'primary',
      database: { writer: { host: dbHost }, local: { role: 'primary' } },
      serving: { environments: [{ project: 'acme-pricing', environment: 'eu-prod', release: { label: 'r-hidden' } }] },
    });
    expect(health.headers.get('cache-control')).toBe('no-store');
    const ready = await server.request('GET', '/health/ready', { token: viewer });
    expect(ready.body.checks.servingState).toMatch(/^loaded from the database \(change counter \d+\)$/);
    expect((await server.request('GET', '/health/primary', { token: viewer })).body.detail).toContain(dbHost);
    // A token that is sent must be good: no silent fallback to the anonymous answer.
    const bad = await server.request('GET', '/health', { token: 'vrd_api_unknown' });
    expect(bad).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });

  it('serves metrics and details without a token on the metrics listener', async () => {
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.metricsUrl).not.toBe(server.url);
    const metrics = await fetch(`${server.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/verdict_release_served\{project="acme-pricing",environment="eu-prod",release="r-hidden"\} 1/);
    const health = await fetch(`${server.metricsUrl}/health`);
    expect(((await health.json()) as { database: { writer: { host: string } } }).database.writer.host).toBe(dbHost);
    // It serves nothing else.
    expect((await fetch(`${server.metricsUrl}/api/projects`)).status).toBe(404);
  });
});
