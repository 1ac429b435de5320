import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { bumpGeneration } from '../../src/db/generation.js';
import { freePort } from '../../src/local-pg/index.js';
import { runCli } from '../helpers/cli.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// For timers that fire late on a busy machine (the CLI runs in this process, next to the server),
// and still far below what the retries took before: 3 attempts of ~2-3 s each plus 2 s of backoff
// against a 5 s timeout.
const SLACK_MS = 2000;

describe('CLI writes during a failover', () => {
  let pair: ReplicatedPair;
  let server: TestServer;

  beforeAll(async () => {
    pair = await startReplicatedPair({ durable: false });
    server = await startTestServer({ replicated: { writerUrl: pair.writerUrl, readerUrl: pair.url(pair.standby) } });
    expect((await server.request('POST', '/api/projects', { body: { key: 'fo' } })).status).toBe(201);
    await pair.caughtUp();
    // The primary is gone and nothing is promoted: the node answers writes 503 after its own retries.
    await pair.primary.stop('immediate');
  });
  afterAll(async () => {
    await server?.close();
    await pair?.cleanup();
  });

  const write = (timeoutMs: number, stderrIsTTY: boolean, env = 'qa') =>
    runCli(['--timeout', String(timeoutMs), 'env', 'create', env, '--project', 'fo'], { url: server.url, token: server.adminToken, stderrIsTTY });

  it('ends by --timeout, retries included, and says on a terminal that it retries and why', async () => {
    const started = Date.now();
    // Long enough for a retry even when the node's own answer (after its retries) is slow.
    const run = await write(12_000, true);
    const elapsed = Date.now() - started;
    expect(run.code).toBe(1);
    expect(elapsed).toBeLessThan(12_000 + SLACK_MS);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^verdict: retrying POST \/api\/projects\/fo\/environments in 0\.5 s \(attempt 2 of 3\): 503 Database unavailable: no usable primary/);
    // Then either the deadline came during a retry, or a retry's 503 came back with too little time left for another.
    expect(lines.at(-1)).toMatch(
      /^verdict: (POST \/api\/projects\/fo\/environments: no answer .* within 12000 ms \(\d attempts; the last failed: 503 Database unavailable.*\); --timeout or VERDICT_TIMEOUT_MS.*|Database unavailable: no usable primary.*)$/,
    );
  });

  it('keeps stderr to the one error line when it is not a terminal', async () => {
    const started = Date.now();
    const run = await write(4000, false);
    expect(Date.now() - started).toBeLessThan(4000 + SLACK_MS);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('retries a write whose server cannot be reached, and says so', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['env', 'create', 'qa', '--project', 'fo'], { url: closed, token: 'x', stderrIsTTY: true });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^verdict: retrying POST \/api\/projects\/fo\/environments in 0\.5 s \(attempt 2 of 3\): cannot reach Verdict .*ECONNREFUSED/);
    expect(lines[1]).toMatch(/in 1\.5 s \(attempt 3 of 3\)/);
    expect(lines[2]).toMatch(/^verdict: cannot reach Verdict at/);
  });

  it('writes once the standby is promoted', async () => {
    const promoted = connect(pair.url(pair.standby), { max: 1 });
    try {
      await promoted`SELECT pg_promote(wait => true)`;
      await bumpGeneration(promoted, 'test', 'standby promoted');
    } finally {
      await promoted.end();
    }
    // Another key than the writes above: the node may still be retrying one the CLI gave up on,
    // and land it now (the CLI timed out, the server had not).
    const run = await write(30_000, true, 'prod');
    expect(run).toMatchObject({ code: 0, stdout: 'created environment prod in fo\n' });
    const envs = await runCli(['--json', 'env', 'list', '--project', 'fo'], { url: server.url, token: server.adminToken });
    expect(JSON.parse(envs.stdout).filter((e: { key: string }) => e.key === 'prod')).toHaveLength(1);
  });
});
