import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('HTTP surface', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('answers health checks without a token', async () => {
    expect(await server.request('GET', '/health/live', { token: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await server.request('GET', '/health/ready', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok' } },
    });
  });

  it('publishes an OpenAPI document and a docs page', async () => {
    const spec = await server.request('GET', '/openapi.json', { token: null });
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(['/api/projects', '/api/projects/{project}/decisions/{key}', '/api/projects/{project}/environments/{env}/deployments']),
    );
    const put = spec.body.paths['/api/projects/{project}/decisions/{key}'].put;
    expect(put.requestBody.content['application/json'].schema.required).toContain('content');
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });

  it('answers unknown routes with problem+json and echoes request ids', async () => {
    const res = await server.request('GET', '/api/nothing-here', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.body).toMatchObject({ type: 'urn:verdict:problem:not-found', status: 404, requestId: 'abc-123', instance: '/api/nothing-here' });
    const odd = await server.request('GET', '/health/live', { headers: { 'x-request-id': 'no spaces allowed' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
  });

  it('refuses bodies that are not JSON', async () => {
    const res = await server.request('POST', '/api/projects', { body: 'key=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported-media-type');
  });
});
