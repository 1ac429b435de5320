import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/** A concrete URL for a route pattern: every parameter and wildcard filled in. */
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'y');

describe('authentication comes before anything about the request', () => {
  let server: TestServer;
  let bodyLimit: number;
  beforeAll(async () => {
    bodyLimit = 2048;
    server = await startTestServer({ bodyLimitBytes: bodyLimit });
    await waitFor('the node to load its serving state', () => server.dataPlane.runtime.state);
  });
  afterAll(() => server?.close());

  // What an unauthenticated caller may send: nothing it sends may get past authentication.
  const bodies: { name: string; body?: string; type?: string }[] = [
    { name: 'no body' },
    { name: 'an empty object', body: '{}', type: 'application/json' },
    { name: 'a body of the wrong shape', body: '{"unexpected": [1, 2, 3], "context": 5}', type: 'application/json' },
    { name: 'unparsable JSON', body: '{"context": ', type: 'application/json' },
    { name: 'a wrong content type', body: 'key=x', type: 'application/x-www-form-urlencoded' },
    { name: 'an oversized body', body: `{"pad": "${'x'.repeat(4096)}"}`, type: 'application/json' },
    { name: 'a body of a megabyte', body: `{"pad": "${'x'.repeat(1 << 20)}"}`, type: 'application/json' },
  ];
  const credentials: { name: string; headers: Record<string, string> }[] = [
    { name: 'no token', headers: {} },
    { name: 'an unknown API token', headers: { authorization: 'Bearer vrd_api_unknown' } },
    { name: 'an unknown evaluation token', headers: { 'x-access-token': 'vrd_eval_unknown' } },
  ];

  it('answers 401 problem+json on every route, whatever the body or query', async () => {
    // The single-sign-on routes take no credential by design (the identity provider's signed
    // answer is the proof): only under /api/auth/ (registerAuth refuses 'sign-in' elsewhere),
    // and none takes a body. console/sso.test.ts covers them.
    const signIn = server.app.routePermissions.filter((r) => r.permission === 'sign-in');
    expect(signIn.every((r) => r.url.startsWith('/api/auth/') && r.method === 'GET')).toBe(true);
    const routes = server.app.routePermissions.filter((r) => r.permission !== 'sign-in');
    // Sanity: the list covers management and evaluation routes.
    expect(routes.some((r) => r.permission === 'evaluation')).toBe(true);
    expect(routes.length).toBeGreaterThan(25);
    const failures: string[] = [];
    for (const route of routes) {
      for (const who of credentials) {
        // Evaluation routes take X-Access-Token, management routes a bearer token: each gets both kinds.
        for (const sent of route.method === 'GET' || route.method === 'HEAD' ? bodies.slice(0, 1) : bodies) {
          const headers: Record<string, string> = { ...who.headers, ...(sent.type ? { 'content-type': sent.type } : {}) };
          // A query the route does not know and values of the wrong type.
          const url = `${server.url}${concrete(route.url)}?limit=not-a-number&unknown=1&wait=never`;
          const res = await fetch(url, { method: route.method, headers, ...(sent.body === undefined ? {} : { body: sent.body }) });
          const text = await res.text();
          const label = `${route.method} ${route.url} with ${who.name} and ${sent.name}`;
          if (res.status !== 401) failures.push(`${label}: ${res.status} ${text.slice(0, 160)}`);
          else if (!/^application\/problem\+json/.test(res.headers.get('content-type') ?? '')) failures.push(`${label}: not problem+json`);
          else if (JSON.parse(text).code !== 'unauthorized') failures.push(`${label}: code ${JSON.parse(text).code}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('validates the body once the caller is known, and checks the project before the body', async () => {
    await server.request('POST', '/api/projects', { body: { key: 'p' } });
    await server.request('POST', '/api/projects', { body: { key: 'q' } });
    for (const project of ['p', 'q']) await server.request('POST', `/api/projects/${project}/environments`, { body: { key: 'prod' } });
    const token = (await server.request('POST', '/api/projects/p/environments/prod/tokens', { body: {} })).body.token as string;
    await waitFor('the node to know the token', () => server.dataPlane.runtime.state?.tokens.size === 1 && server.dataPlane.runtime.state.projects.has('q'));
    const evaluate = (path: string, body: string) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'x-access-token': token, 'content-type': 'application/json' }, body }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    expect(await evaluate('/api/projects/p/evaluate/d', '{}')).toMatchObject({ status: 400, body: { code: 'validation-failed', detail: "body must have required property 'context'" } });
    expect(await evaluate('/api/projects/q/evaluate/d', '{}')).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect(await evaluate('/api/projects/p/environments/prod/evaluate-batch/d', '{"contexts": ')).toMatchObject({ status: 400, body: { code: 'bad-request' } });
    const management = await server.request('POST', '/api/projects', { body: {} });
    expect(management).toMatchObject({ status: 400, body: { code: 'validation-failed' } });
  });
});
