import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphSizeCounter } from '../../src/control-plane/packages/graph-size.js';
import { bigGoRulesZip } from '../helpers/big-package.js';
import { runCli } from '../helpers/cli.js';
import { rowCounts } from '../helpers/db.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const MIB = 1024 * 1024;
const rssMib = () => Math.round(process.memoryUsage().rss / MIB);

function rawZip(entries: { name: string; data: Buffer }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name);
  zip.end();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** A project with one small decision deployed to prod, and an evaluation token for it. */
async function servingProject(server: TestServer, project: string): Promise<string> {
  await server.request('POST', '/api/projects', { body: { key: project } });
  await server.request('POST', `/api/projects/${project}/environments`, { body: { key: 'prod' } });
  await server.request('PUT', `/api/projects/${project}/decisions/small`, { body: { content: expressionGraph({ ok: 'true' }) } });
  await server.request('POST', `/api/projects/${project}/releases`, { body: { label: 'base' } });
  await server.request('POST', `/api/projects/${project}/environments/prod/deployments`, { body: { release: 'base' } });
  const token = (await server.request('POST', `/api/projects/${project}/environments/prod/tokens`, { body: {} })).body.token as string;
  await waitFor(`${project}/prod to be served`, () => server.dataPlane.runtime.state?.environments.has(`${project}/prod`));
  return token;
}

describe('what applying a package may cost the server', () => {
  let server: TestServer;
  let evalToken: string;
  const apply = (zip: Buffer, query = '') => server.request('POST', `/api/projects/big/packages${query}`, { body: zip });
  const evaluate = () =>
    server.request('POST', '/api/projects/big/evaluate/small', { token: null, headers: { 'x-access-token': evalToken }, body: { context: {} } });

  beforeAll(async () => {
    server = await startTestServer(); // the default limits: 64 MiB expanded, 8 MiB per file
    evalToken = await servingProject(server, 'big');
  });
  afterAll(() => server?.close());

  it('refuses a package that expands past the limit (413) before inflating it, without growing the server', async () => {
    // 3.7 MB that expanded to 480 MiB took 58 s and 2 GB; this one: 0.6 MB that would expand to 75 MiB.
    const zip = await bigGoRulesZip(10, 7.5);
    expect(zip.length).toBeLessThan(2 * MIB);
    const before = await rowCounts(server.db.sql);
    const rss = rssMib();
    const started = performance.now();
    const res = await apply(zip, '?label=too-big');
    console.log(`over-limit package: ${(zip.length / MIB).toFixed(1)} MiB zip, 75 MiB expanded -> ${res.status} in ${Math.round(performance.now() - started)} ms; RSS ${rss} -> ${rssMib()} MiB`);
    expect(res.status, JSON.stringify(res.body)).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'payload-too-large', expandedLimitBytes: 64 * MIB });
    expect(res.body.detail).toMatch(/the zip expands to 75\.\d MiB; at most 64\.0 MiB in all are accepted/);
    // Nothing inflated: the server did not take on anything like the package's expanded size.
    expect(rssMib() - rss).toBeLessThan(75);
    expect(await rowCounts(server.db.sql)).toEqual(before);
  });

  it('refuses one file past the per-file limit (413), and the CLI exits 4 (refused)', async () => {
    const zip = await bigGoRulesZip(1, 10);
    const res = await apply(zip, '?label=big-file');
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/entry 'rules\/t0\.json' expands to 10\.\d MiB; at most 8\.0 MiB per file are accepted/);
    const work = mkdtempSync(path.join(tmpdir(), 'verdict-limits-'));
    try {
      writeFileSync(path.join(work, 'big.zip'), zip);
      const cli = await runCli(['release', 'import', 'big.zip', '--project', 'big', '--label', 'big-file'], { url: server.url, token: server.adminToken, cwd: work });
      expect(cli.code, cli.stderr).toBe(4);
      expect(cli.stderr).toMatch(/Payload too large: entry 'rules\/t0\.json' expands to 10\.\d MiB/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses a decision with more nodes than the validator accepts while it inflates, before parsing it', async () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) => `{"id":"n${i}","type":"expressionNode","name":"N"}`);
    const graph = Buffer.from(`{"edges":[],"nodes":[${nodes.join(',')}]}`);
    const before = await rowCounts(server.db.sql);
    const res = await apply(await rawZip([{ name: 'huge.json', data: graph }]), '?label=many-nodes');
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body).toMatchObject({ code: 'invalid-package' });
    expect(res.body.detail).toBe('huge.json has more than 5000 nodes; a decision may have at most 5000 nodes and 20000 edges');
    expect(await rowCounts(server.db.sql)).toEqual(before);
  });

  it('keeps answering health checks and evaluations while a large package is checked', { timeout: 300_000 }, async () => {
    // 6 MiB of decision tables (300 times the largest real graph): seconds of parsing, hashing and
    // validation. Not more: the test server's 3 s statement timeout must hold for the inserts on a busy machine.
    const zip = await bigGoRulesZip(2, 3);
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const rss = rssMib();
    const started = performance.now();
    let settled = false;
    const applying = apply(zip, '?label=large').finally(() => (settled = true));

    // The check runs on its own thread: while it does, this thread serves requests.
    await waitFor('the package check to start', () => server.services.packages.load.checking === 1);
    let health = 0;
    let evaluations = 0;
    while ((health === 0 || evaluations === 0) && server.services.packages.load.checking === 1) {
      const [live, evaluated] = await Promise.all([server.request('GET', '/health/live', { token: null }), evaluate()]);
      const stillChecking = server.services.packages.load.checking === 1;
      if (live.status === 200 && stillChecking) health++;
      if (evaluated.status === 200 && evaluated.body.result.ok === true && stillChecking) evaluations++;
    }
    expect(health, 'health checks answered during the check').toBeGreaterThan(0);
    expect(evaluations, 'evaluations answered during the check').toBeGreaterThan(0);
    expect(settled).toBe(false);

    const res = await applying;
    stalls.disable();
    console.log(
      `large package: ${(zip.length / MIB).toFixed(2)} MiB zip, 6 MiB expanded -> ${res.status} in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `longest event-loop stall ${Math.round(stalls.max / 1e6)} ms; RSS ${rss} -> ${rssMib()} MiB`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'applied', decisions: { saved: 2 } });
    expect(server.services.packages.load).toEqual({ running: 0, waiting: 0, checking: 0 });
  });
});

describe('package applies are admitted one at a time and stopped past their time limit', () => {
  let server: TestServer;
  let zip: Buffer;
  const apply = (label: string) => server.request('POST', `/api/projects/q/packages?label=${label}`, { body: zip });

  beforeAll(async () => {
    server = await startTestServer({
      packages: { instanceName: 'q', signingKey: undefined, trustedKeys: new Map(), requireSigned: false, apply: { queue: 1 } },
    });
    await server.request('POST', '/api/projects', { body: { key: 'q' } });
    zip = await bigGoRulesZip(1, 2);
  });
  afterAll(() => server?.close());

  it('runs one, queues the configured number, and answers the rest 503 with Retry-After', async () => {
    const first = apply('first');
    await waitFor('the first apply to run', () => server.services.packages.load.running === 1);
    const second = apply('second');
    await waitFor('the second apply to wait', () => server.services.packages.load.waiting === 1);
    const third = await apply('third');
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(third.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(third.body.detail).toMatch(/a release package is being applied and 1 more are waiting/);
    expect((await first).body).toMatchObject({ status: 'applied', release: { label: 'first' } });
    expect((await second).body).toMatchObject({ status: 'applied', release: { label: 'second' } });
    expect(server.services.packages.load).toEqual({ running: 0, waiting: 0, checking: 0 });
  });

  it('stops a check that runs past its time limit and refuses the package (422)', async () => {
    const strict = await startTestServer({
      packages: { instanceName: 'strict', signingKey: undefined, trustedKeys: new Map(), requireSigned: false, apply: { checkTimeoutMs: 200 } },
    });
    try {
      await strict.request('POST', '/api/projects', { body: { key: 'q' } });
      const before = await rowCounts(strict.db.sql);
      const res = await strict.request('POST', '/api/projects/q/packages?label=slow', { body: await bigGoRulesZip(2, 5) });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body).toMatchObject({ code: 'invalid-package', timeoutMs: 200 });
      expect(res.body.detail).toMatch(/checking the package took longer than 0\.2 s \(VERDICT_PACKAGE_CHECK_TIMEOUT_MS\)/);
      expect(strict.services.packages.load).toEqual({ running: 0, waiting: 0, checking: 0 });
      expect(await rowCounts(strict.db.sql)).toEqual(before);
    } finally {
      await strict.close();
    }
  });
});

describe('counting nodes and edges while a file inflates', () => {
  const limits = (nodes: number, edges: number) => ({ maxNodes: nodes, maxEdges: edges });
  /** Feeds `text` in chunks of `size` bytes. */
  const feed = (text: string, size: number, max: { maxNodes: number; maxEdges: number }) => {
    const counter = new GraphSizeCounter('g.json', max);
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += size) counter.push(bytes.subarray(i, i + size));
  };
  const tricky = {
    name: 'has "nodes": [1,2,3] and \\" quotes, brackets ] [ } { and commas , , in strings',
    meta: { nodes: [1, 2, 3, 4, 5, 6, 7, 8, 9], edges: [[1, 2], [3, 4]] },
    nodes: [{ id: 'a', content: { rules: [1, 2, 3], text: 'x\\\\", y' } }, { id: 'b\\' }, 'c', 4, null, [5, 6], { '"nodes"': [1, 2] }],
    edges: [],
    'node\\u0073': 'not a key named nodes',
  };

  it('counts exactly what JSON.parse sees, however the bytes are split', () => {
    const text = JSON.stringify(tricky, null, 1);
    const parsed = JSON.parse(text);
    expect(parsed.nodes).toHaveLength(7);
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      expect(() => feed(text, size, limits(7, 0)), `chunks of ${size}`).not.toThrow();
      expect(() => feed(text, size, limits(6, 0)), `chunks of ${size}`).toThrow('g.json has more than 6 nodes');
    }
    const edges = JSON.stringify({ nodes: [], edges: [{ id: 1 }, { id: 2 }, { id: 3 }] });
    expect(() => feed(edges, 5, limits(0, 3))).not.toThrow();
    expect(() => feed(edges, 5, limits(0, 2))).toThrow('g.json has more than 2 edges');
  });

  it('sees a key spelled with escapes as JSON.parse does', () => {
    const text = '{"node\\u0073": [1, 2, 3], "edges": []}';
    expect(JSON.parse(text).nodes).toHaveLength(3);
    expect(() => feed(text, 4, limits(2, 0))).toThrow('more than 2 nodes');
  });
});
