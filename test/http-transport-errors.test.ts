import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from './helpers/corpus.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Requests refused before a route runs, by the router: a URL that does not decode, a parameter too
 * long. The fuzzer found these answered in Fastify's own JSON shape, without the security headers;
 * every refusal is a problem document like the rest.
 */
describe('refusals before a route runs', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'shop' } });
  });
  afterAll(() => server?.close());

  function expectProblem(answer: { status: number; headers: Record<string, string> | Headers; body: any }, status: number, code: string): void {
    const header = (name: string) => (answer.headers instanceof Headers ? answer.headers.get(name) : answer.headers[name]);
    expect(answer.status).toBe(status);
    expect(header('content-type')).toMatch(/^application\/problem\+json/);
    expect(header('x-content-type-options')).toBe('nosniff');
    expect(header('x-request-id')).toBeTruthy();
    expect(answer.body).toMatchObject({ status, code, type: `urn:verdict:problem:${code}` });
    expect(typeof answer.body.title).toBe('string');
    expect(typeof answer.body.detail).toBe('string');
  }

  it('answers a URL that does not decode with a 400 problem, on management and evaluation routes', async () => {
    for (const path of ['/api/projects/%E0%A4%A', '/api/projects/%FF/decisions', '/api/projects/%C0%AF/evaluate/x', '/api/projects/shop/environments/%zz/evaluate/x']) {
      const answer = await server.request('GET', path);
      expectProblem(answer, 400, 'bad-request');
      expect(answer.body.instance).toBe(path);
    }
  });

  // The router's default limit (100 characters per parameter) made valid decision keys unreachable.
  it('reaches decisions whose URL-encoded key is longer than 100 characters', async () => {
    const key = `${'k'.repeat(90)}/${'$'.repeat(60)}/${'j'.repeat(47)}`; // 199 characters, 421 encoded
    expect(key.length).toBeLessThan(200);
    const path = `/api/projects/shop/decisions/${encodeURIComponent(key)}`;
    const saved = await server.request('PUT', path, { body: { content: readCorpus('graphs', 'table-loop.json') } });
    expect(saved.status).toBe(201);
    expect((await server.request('GET', path)).body.key).toBe(key);
    expect((await server.request('GET', `${path}/versions/1`)).status).toBe(200);
    expect((await server.request('DELETE', path)).status).toBe(200);
  });

  it('answers a URL parameter past the limit with a 414 problem', async () => {
    expectProblem(await server.request('GET', `/api/projects/${'a'.repeat(1100)}`), 414, 'uri-too-long');
  });
});
