import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { Database } from '../../src/db/database.js';
import { CompiledRelease } from '../../src/data-plane/serving/compiled-release.js';
import { startTestEngine } from '../helpers/engine.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expressionGraph, parentGraph, tableGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

describe('a release the engine cannot load', () => {
  let server: TestServer;
  const evaluate = (project: string, token: string) =>
    server.request('POST', `/api/projects/${project}/evaluate/calc`, { token: null, headers: { 'x-access-token': token }, body: { context: {} } });

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('keeps its environment on the previous release and lets every other environment move on', async () => {
    const tokens: Record<string, string> = {};
    for (const project of ['bad', 'good']) {
      await server.request('POST', '/api/projects', { body: { key: project } });
      await server.request('PUT', `/api/projects/${project}/decisions/calc`, { body: { content: expressionGraph({ v: "'one'" }) } });
      await server.request('POST', `/api/projects/${project}/releases`, { body: {} });
      await server.request('POST', `/api/projects/${project}/environments`, { body: { key: 'prod' } });
      await server.request('POST', `/api/projects/${project}/environments/prod/deployments`, { body: { release: 'v1' } });
      tokens[project] = (await server.request('POST', `/api/projects/${project}/environments/prod/tokens`, { body: {} })).body.token;
    }
    await waitFor('both tokens', () => server.dataPlane.runtime.state?.tokens.size === 2);

    // A version the engine refuses, written past validation (as an older Verdict might have).
    const broken = expressionGraph({ v: "'two'" });
    delete broken.nodes[1].name;
    const [decision] = await server.db.sql`SELECT d.id FROM decisions d JOIN projects p ON p.id = d.project_id WHERE p.key = 'bad'`;
    await server.db.sql`INSERT INTO decision_versions (decision_id, version, content, content_hash, author) VALUES (${decision!.id}, 2, ${server.db.sql.json(broken)}, ${'a'.repeat(64)}, 'test')`;
    await server.db.sql`UPDATE decisions SET latest_version = 2 WHERE id = ${decision!.id}`;
    await server.request('POST', '/api/projects/bad/releases', { body: {} });
    await server.request('POST', '/api/projects/bad/environments/prod/deployments', { body: { release: 'v2' } });

    await server.request('PUT', '/api/projects/good/decisions/calc', { body: { content: expressionGraph({ v: "'two'" }) } });
    await server.request('POST', '/api/projects/good/releases', { body: {} });
    await server.request('POST', '/api/projects/good/environments/prod/deployments', { body: { release: 'v2' } });

    await waitFor('good to serve v2', async () => (await evaluate('good', tokens.good!)).body.result?.v === 'two');
    const bad = await evaluate('bad', tokens.bad!);
    expect(bad.body).toMatchObject({ result: { v: 'one' }, details: { releaseLabel: 'v1' } });
    const ready = await server.request('GET', '/health/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe('ok');
    expect(ready.body.checks.releases).toBe('1 release(s) cannot be loaded');
    // Which release and why: for operators (an API token).
    const detailed = await server.request('GET', '/health/ready');
    expect(detailed.body.checks.releases).toMatch(/cannot load .*missing field `name`/);
  });

  it('loads again a release whose engine host went away while parsing it', { timeout: 300_000 }, async () => {
    // An engine host may go away mid-parse for reasons that say nothing of the release (killed from
    // outside here; stopped for another tenant's runaway in production): the node must not leave the
    // environment unserved until it restarts.
    await server.request('POST', '/api/projects', { body: { key: 'late' } });
    await server.request('POST', '/api/projects/late/environments', { body: { key: 'prod' } });
    const token = (await server.request('POST', '/api/projects/late/environments/prod/tokens', { body: {} })).body.token;
    const saved = await server.request('PUT', '/api/projects/late/decisions/calc', { body: { content: tableGraph(10_000) } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const release = (await server.request('POST', '/api/projects/late/releases', { body: {} })).body;
    const failed = () => server.dataPlane.sync.status.failedReleases.get(release.id);
    const engine = server.dataPlane.engine;
    const restarts = engine.status().serving.restarts;
    let killed: number | undefined;
    const killer = setInterval(() => {
      if (killed !== undefined || engine.status().serving.loading === 0) return;
      killed = engine.status().serving.pids[0]!;
      process.kill(killed, 'SIGKILL');
    }, 1);
    try {
      expect((await server.request('POST', '/api/projects/late/environments/prod/deployments', { body: { release: 'v1' } })).status).toBe(201);
      await waitFor('the release to fail to load once', () => failed() !== undefined);
    } finally {
      clearInterval(killer);
    }
    expect(killed).toBeDefined();
    expect(failed()).toMatch(/engine host stopped while loading the release .*loading it again in 1 s/);
    const detailed = await server.request('GET', '/health/ready');
    expect(detailed.body.checks.releases).toContain(`cannot load ${release.id}: an engine host stopped`);
    const served = await waitFor('the release to be served', async () => {
      const res = await server.request('POST', '/api/projects/late/evaluate/calc', { token: null, headers: { 'x-access-token': token }, body: { context: { a: 15, b: 'y10' } } });
      return res.status === 200 ? res : undefined;
    }, 120_000);
    expect(served.body).toMatchObject({ result: { r: 35 }, details: { releaseLabel: 'v1' } });
    expect(failed()).toBeUndefined();
    expect(engine.status().serving.restarts).toBe(restarts + 1);
  });
});

describe('compiled releases', () => {
  it('keep a release compiled again apart from its draining copy', async () => {
    const engine = startTestEngine();
    const contents = [
      { key: 'child', version: 1, contentHash: 'c', content: expressionGraph({ marker: "'c'" }) },
      { key: 'parent', version: 1, contentHash: 'p', content: parentGraph('child', 'p') },
    ];
    const release = { id: '00000000-0000-4000-8000-000000000001', label: 'v1', contentHash: 'h' };
    const first = await CompiledRelease.compile(engine, release, contents);
    let finishFirst!: () => void;
    const inFlight = first.use(() => new Promise<void>((resolve) => (finishFirst = resolve)));
    first.retire(() => engine.unregister(first.namespace)); // undeployed while a request runs
    const second = await CompiledRelease.compile(engine, release, contents); // ...and deployed again
    finishFirst();
    await inFlight; // the first copy drains and unregisters its namespace
    const result = await second.use(() => engine.evaluate({ ns: second.namespace, key: 'parent', label: 'parent@v1', runsFunctions: false }, {}, false));
    expect(result.result).toEqual({ parent: 'p', child: 'c' });
    expect(second.namespace).not.toBe(first.namespace);
    await engine.close();
  });
});

describe('a database that stops answering', () => {
  let proxy: TcpProxy;
  let db: TestDatabase;
  let server: TestServer;
  let proxyUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(inject('pgAdminUrl'));
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
    const url = db.url.replace(`:${target.port}/`, `:${proxy.port}/`);
    proxyUrl = url;
    const sql = connect(url, { max: 4, connectTimeoutSeconds: 2 });
    server = await startTestServer({ database: { ...db, url, sql, drop: async () => sql.end({ timeout: 1 }).then(() => db.drop()) }, transactionTimeoutMs: 1500, metricsPort: 0 });
    await server.request('POST', '/api/projects', { body: { key: 'ops' } });
    await server.request('PUT', '/api/projects/ops/decisions/calc', { body: { content: expressionGraph({ v: "'one'" }) } });
    await server.request('POST', '/api/projects/ops/releases', { body: {} });
    await server.request('POST', '/api/projects/ops/environments', { body: { key: 'prod' } });
    await server.request('POST', '/api/projects/ops/environments/prod/deployments', { body: { release: 'latest' } });
  });
  afterAll(async () => {
    proxy?.resume();
    await server?.close();
    await proxy?.stop();
  });
  /** A proxy to the test database of the test's own. */
  const ownProxy = async () => {
    const target = new URL(inject('pgAdminUrl'));
    const own = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await own.start();
    return { proxy: own, url: db.url.replace(`:${target.port}/`, `:${own.port}/`) };
  };

  it('times the sync out, reports it, keeps serving, and recovers', async () => {
    const token = (await server.request('POST', '/api/projects/ops/environments/prod/tokens', { body: {} })).body.token;
    await waitFor('token to sync', () => server.dataPlane.runtime.state?.tokens.size === 1);
    proxy.pause();
    try {
      await waitFor('the poll to time out', () => server.dataPlane.sync.status.consecutiveFailures > 0, 30_000);
      // The poll's own timeout, or a write's deadline that dropped the connections under it first.
      expect(server.dataPlane.sync.status.lastError).toMatch(/did not answer within \d+ ms|CONNECTION_DESTROYED|no usable primary|stopped answering/);
      const res = await server.request('POST', '/api/projects/ops/evaluate/calc', { token: null, headers: { 'x-access-token': token }, body: { context: {} } });
      expect(res.body.result).toEqual({ v: 'one' });
      const ready = await server.request('GET', '/health/ready', { token: null });
      expect(ready.body.checks.database).toMatch(/^unreachable/);
      // With the database gone no API token can be checked: the metrics listener needs none.
      expect(await (await fetch(`${server.metricsUrl}/metrics`)).text()).toMatch(/verdict_sync_age_seconds [1-9]/);
      // A write does not hang on connections that will never answer: it gives up and says so.
      const write = await server.request('POST', '/api/projects', { body: { key: 'during-partition' } });
      expect(write.status).toBe(503);
      expect(write.body.detail).toMatch(/did not finish the write within 1500 ms|no usable primary|no primary database|stopped answering/);
    } finally {
      // Resumed even when an expectation fails, so the next tests get their database back.
      proxy.resume();
    }
    await waitFor('the sync to recover', () => server.dataPlane.sync.status.consecutiveFailures === 0, 30_000);
    expect((await server.request('POST', '/api/projects', { body: { key: 'after-partition' } })).status).toBe(201);
  });

  it('says the outcome is unknown when the connection is lost while committing, and the write did happen', async () => {
    await db.sql`CREATE TABLE IF NOT EXISTS commit_cut (k text PRIMARY KEY)`;
    // A proxy of its own: the one the server uses also carries its sync loop's queries.
    const own = await ownProxy();
    const database = new Database({ writerUrl: own.url, timeoutMs: 5000, poolSize: 1 });
    try {
      await database.open();
      let answered: Promise<void> | undefined;
      const write = database.transaction(async (tx) => {
        await tx`INSERT INTO commit_cut VALUES ('first')`;
        answered = own.proxy.cutAfterNextRequest(); // the next request on the connection is COMMIT
      });
      await expect(write).rejects.toMatchObject({
        code: 'database-unavailable',
        extensions: { outcome: 'unknown' },
        message: expect.stringMatching(/failed while the write was committing .*outcome unknown: it may have been saved; retry with the same Idempotency-Key/),
      });
      await answered;
      // It was saved: a retry without the key would have written it twice.
      expect(await db.sql`SELECT k FROM commit_cut`).toEqual([{ k: 'first' }]);
    } finally {
      await database.close();
      await own.proxy.stop();
    }
  });

  it('looks for the primary at once when a connection is lost outside a write, and drops a pool with no usable server', async () => {
    const own = await ownProxy();
    const database = new Database({ writerUrl: own.url, timeoutMs: 1000 });
    try {
      await database.open();
      expect(database.status().writer.host).toBeDefined();
      own.proxy.pause();
      database.connectionLost();
      await waitFor('the unusable pool to be dropped', () => database.status().writer.host === undefined, 30_000);
      own.proxy.resume();
      // The next read finds the primary again by itself.
      await waitFor('reads to work again', () => database.read`SELECT 1 AS one`.then(() => true, () => false), 30_000);
      expect(database.status().writer.host).toBeDefined();
    } finally {
      own.proxy.resume();
      await database.close();
      await own.proxy.stop();
    }
  });

  it('abandons a write that gets no answer, instead of waiting on the socket forever', async () => {
    const database = new Database({ writerUrl: proxyUrl, timeoutMs: 1000, transactionTimeoutMs: 500 });
    try {
      await database.open();
      proxy.pause();
      await expect(database.transaction((tx) => tx`SELECT 1`)).rejects.toThrow(/did not finish the write within 500 ms|no usable primary/);
      proxy.resume();
      await waitFor('writes to work again', () => database.transaction((tx) => tx`SELECT 1`).then(() => true, () => false), 30_000);
    } finally {
      proxy.resume();
      await database.close();
    }
  });
});
