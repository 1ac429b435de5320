import { ZenEngine } from '@gorules/zen-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_DEPENDENT, corpusFiles, readCorpus, withoutPaths as without } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

describe('conformance: every corpus graph, pushed, released, deployed and evaluated over HTTP', () => {
  let server: TestServer;
  let token: string;
  const files = corpusFiles('graphs');
  const engine = new ZenEngine();

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'corpus' } });
    const pushed = await server.request('POST', '/api/projects/corpus/decisions', {
      body: { decisions: files.map((f) => ({ key: f, content: readCorpus('graphs', f) })) },
    });
    expect(pushed.status).toBe(200);
    expect((await server.request('POST', '/api/projects/corpus/releases', { body: {} })).status).toBe(201);
    await server.request('POST', '/api/projects/corpus/environments', { body: { key: 'prod' } });
    await server.request('POST', '/api/projects/corpus/environments/prod/deployments', { body: { release: 'latest' } });
    token = (await server.request('POST', '/api/projects/corpus/environments/prod/tokens', { body: {} })).body.token;
    await waitFor('the release to be served', () => server.dataPlane.runtime.state?.tokens.size === 1);
  });
  afterAll(async () => {
    engine.dispose();
    await server?.close();
  });

  it('has tests in every graph', () => {
    expect(files.length).toBe(60);
    for (const f of files) expect(readCorpus('graphs', f).tests?.length, f).toBeGreaterThan(0);
  });

  it.each(files)('%s', async (file) => {
    const doc = readCorpus('graphs', file);
    const key = file.replace(/\.json$/, '');
    for (const [i, test] of doc.tests.entries()) {
      const res = await server.request('POST', `/api/projects/corpus/environments/prod/evaluate/${key}`, {
        token: null,
        headers: { 'x-access-token': token },
        body: { context: test.input },
      });
      expect(res.status, `${file} test ${i}: ${JSON.stringify(res.body)}`).toBe(200);
      const ignored = CLOCK_DEPENDENT[file];
      if (ignored) {
        const local = await engine.createDecision(doc).evaluate(test.input);
        expect(without(res.body.result, ignored), `${file} test ${i}`).toEqual(without(local.result, ignored));
        for (const path of ignored) expect(path.split('.').reduce((o: any, p) => o?.[p], res.body.result), `${file}: ${path}`).toBeDefined();
      } else {
        expect(res.body.result, `${file} test ${i}`).toEqual(test.output);
      }
    }
  });
});
