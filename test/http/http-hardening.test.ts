import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/lib/hash.js';
import { UnrepresentableValueError } from '../../src/lib/json-values.js';
import { readCorpus } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('HTTP hardening', () => {
  let server: TestServer;
  const logs: string[] = [];
  beforeAll(async () => {
    server = await startTestServer({ logStream: { write: (line: string) => void logs.push(line) } });
  });
  afterAll(() => server?.close());

  describe('secrets in URLs', () => {
    const secrets = ['vrd_api_QuErYsEcReT0123456789', 'plain-query-secret', 'vrd_eval_PaThSeCrEt0123456789', 'key-secret-42'];

    it('are neither echoed in problems nor logged', async () => {
      const [apiToken, plain, pathToken, apiKey] = secrets;
      const refused = await server.request('GET', `/api/projects?limit=5&token=${apiToken}&access_token=${plain}&api_key=${apiKey}`, { token: null });
      expect(refused.status).toBe(401);
      expect(refused.body.instance).toBe('/api/projects?limit=5&token=redacted&access_token=redacted&api_key=redacted');

      const missing = await server.request('GET', `/api/nowhere/${pathToken}?x=1`);
      expect(missing.status).toBe(404);
      expect(missing.body.instance).toBe('/api/nowhere/vrd_eval_redacted?x=1');
      expect(missing.body.detail).toContain('/api/nowhere/vrd_eval_redacted');

      const evaluation = await server.request('POST', `/api/projects/p/evaluate/d?access_token=${plain}`, { token: null, body: { context: {} } });
      expect(evaluation.status).toBe(401);
      expect(evaluation.body.instance).toBe('/api/projects/p/evaluate/d?access_token=redacted');

      // A management request that succeeds is logged with its URL, redacted too.
      const ok = await server.request('GET', `/api/projects?apiKey=${apiKey}`);
      expect(ok.status).toBe(200);
      const logged = logs.join('');
      expect(logged).toContain('"url":"/api/projects?apiKey=redacted"');
      for (const secret of secrets) expect(logged).not.toContain(secret);
    });
  });

  describe('security headers', () => {
    const expectSecurityHeaders = (headers: Headers, what: string) => {
      expect(headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(headers.get('content-security-policy'), what).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(headers.get('x-frame-options'), what).toBe('DENY');
      expect(headers.get('referrer-policy'), what).toBe('no-referrer');
    };

    it('come with every answer: management, evaluation, errors, health', async () => {
      const answers = {
        'management 200': await server.request('GET', '/api/projects'),
        'management 401': await server.request('GET', '/api/projects', { token: null }),
        'management 400': await server.request('POST', '/api/projects', { body: {} }),
        'unknown route 404': await server.request('GET', '/api/nowhere', { token: null }),
        'evaluation 401': await server.request('POST', '/api/projects/p/evaluate/d', { token: null, body: { context: {} } }),
        'health 200': await server.request('GET', '/health/live', { token: null }),
        'OpenAPI document': await server.request('GET', '/openapi.json', { token: null }),
      };
      for (const [what, res] of Object.entries(answers)) expectSecurityHeaders(res.headers, what);
    });

    it('forbid caching answers to authenticated requests, which may hold secrets', async () => {
      const created = await server.request('POST', '/api/tokens', { body: { name: 'cache-check', role: 'viewer' } });
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^vrd_api_/);
      expect(created.headers.get('cache-control')).toBe('no-store');
      expect((await server.request('GET', '/api/tokens')).headers.get('cache-control')).toBe('no-store');
      expect((await server.request('GET', '/health/live', { token: null })).headers.get('cache-control')).toBeNull();
    });

    it('leave the Swagger UI working: its own policy admits every asset it loads', async () => {
      const page = await fetch(`${server.url}/docs/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const csp = Object.fromEntries(
        (page.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map((d) => [d[0]!, d.slice(1)]),
      );
      expect(csp['frame-ancestors']).toEqual(["'none'"]);
      expect(csp['script-src']).toContain("'self'");
      expect(csp['style-src']).toEqual(expect.arrayContaining(["'self'", "'unsafe-inline'"])); // React sets style attributes
      expect(csp['img-src']).toEqual(expect.arrayContaining(["'self'", 'data:'])); // icons are data: URIs
      expect(csp['connect-src']).toContain("'self'"); // the OpenAPI document and "try it out"
      expect(csp['upgrade-insecure-requests']).toBeUndefined(); // would break the assets over plain HTTP
      // No inline script (the policy has no hash or nonce for one); every asset is same-origin and loads.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      const assets = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(assets.filter((a) => a.endsWith('.js')).length).toBeGreaterThanOrEqual(3);
      for (const asset of [...assets, './json']) {
        const url = new URL(asset, `${server.url}/docs/`);
        expect(url.origin, asset).toBe(server.url);
        const res = await fetch(url);
        expect(res.status, asset).toBe(200);
        await res.arrayBuffer();
      }
      // The initializer fetches the document from ./json, which must be the OpenAPI document.
      const initializer = await (await fetch(`${server.url}/docs/static/swagger-initializer.js`)).text();
      expect(initializer).toContain("resolveUrl('./json')");
      expect(((await (await fetch(`${server.url}/docs/json`)).json()) as { openapi: string }).openapi).toBe('3.1.0');
    });
  });

  describe('values the database or canonical JSON cannot keep', () => {
    const doc = readCorpus('graphs', 'expression-default.json');
    /** A decision body as raw JSON text, with `extra` spliced into the content (JSON.stringify cannot write 1e309). */
    const decisionWith = (extra: string) => `{"content": ${JSON.stringify(doc).replace(/^\{/, `{${extra},`)}}`;
    beforeAll(async () => {
      await server.request('POST', '/api/projects', { body: { key: 'values' } });
    });

    it('answer a data exception from the database without its internal wording', async () => {
      // A NUL character in a query value reaches PostgreSQL, which refuses it (SQLSTATE 22021).
      const res = await server.request('GET', '/api/audit?actor=a%00b');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'bad-request', detail: 'a text value in the request holds a character the database cannot store (a NUL character, \\u0000)' });
      expect(JSON.stringify(res.body)).not.toMatch(/UTF8|encoding|byte sequence|0x00/);
      // The log keeps the database's own message for the operator.
      expect(logs.join('')).toMatch(new RegExp(`"reqId":"${res.body.requestId}".*"dbError":"invalid byte sequence`));
    });

    it('refuse 1e309 in decision content as a client error naming the path, with or without an Idempotency-Key', async () => {
      for (const headers of [{}, { 'idempotency-key': 'infinite-1' }] as Record<string, string>[]) {
        const res = await server.request('PUT', '/api/projects/values/decisions/big', { body: decisionWith('"limits": {"max": [1, -1e309]}'), headers });
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body).toMatchObject({
          code: 'validation-failed',
          detail: 'body.content.limits.max.1 must be a finite number: numbers beyond ±1.8e308 (such as 1e309) read as Infinity',
          errors: [{ in: 'body', path: '/content/limits/max/1' }],
        });
      }
    });

    it('refuse NUL characters and lone surrogates by path, and accept their harmless look-alikes', async () => {
      const nul = await server.request('PUT', '/api/projects/values/decisions/nul', { body: decisionWith('"note": "a\\u0000b"') });
      expect(nul).toMatchObject({ status: 400, body: { code: 'validation-failed', errors: [{ path: '/content/note' }] } });
      const nulKey = await server.request('POST', '/api/projects', { body: { key: 'k', 'x\u0000': 1 } });
      expect(nulKey).toMatchObject({ status: 400, body: { errors: [{ path: '/x\u0000' }] } });
      const lone = await server.request('PUT', '/api/projects/values/decisions/lone', { body: decisionWith('"note": "\\ud800"') });
      expect(lone).toMatchObject({ status: 400, body: { code: 'validation-failed', errors: [{ path: '/content/note' }] } });
      // A surrogate pair written as escapes, 1e308, and text that merely looks suspicious are fine.
      const fine = await server.request('PUT', '/api/projects/values/decisions/fine', { body: decisionWith('"note": "\\ud83d\\ude00 1e999 \\\\u0000", "max": 1e308') });
      expect(fine.status, JSON.stringify(fine.body)).toBe(201);
      const stored = await server.request('GET', '/api/projects/values/decisions/fine');
      expect(stored.body.content).toMatchObject({ note: '\u{1F600} 1e999 \\u0000', max: 1e308 });
    });

    it('make canonical JSON name the value it cannot represent', () => {
      expect(() => canonicalJson({ a: [1, { b: Infinity }] })).toThrow(UnrepresentableValueError);
      expect(() => canonicalJson({ a: [1, { b: Infinity }] })).toThrow('/a/1/b must be a finite number');
      expect(() => canonicalJson({ 'x/y': '\ud800' })).toThrow('/x~1y must not contain an unpaired surrogate');
      expect(canonicalJson({ b: 'nul \u0000 hashes fine', a: 1 })).toBe('{"a":1,"b":"nul \\u0000 hashes fine"}');
    });
  });
});
