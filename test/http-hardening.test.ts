import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

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
});
