import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';

const EXAMPLES = fileURLToPath(new URL('../examples/decisions', import.meta.url));

/** Every example decision with its key (its path under examples/decisions, as `decision push` names it). */
function examples(dir = EXAMPLES): { key: string; tests: { input: unknown; output: unknown }[] }[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return examples(full);
    // `decision push` takes only .json files; the folder's README is for people.
    if (!name.endsWith('.json')) return [];
    const doc = JSON.parse(readFileSync(full, 'utf8')) as { tests?: { input: unknown; output: unknown }[] };
    return [{ key: path.relative(EXAMPLES, full).replace(/\.json$/, ''), tests: doc.tests ?? [] }];
  });
}

/**
 * The README's quick start, on the decisions shipped in examples/decisions (a user who cloned only
 * this repository has them): pushed as a folder, released, deployed, evaluated as documented, and
 * each answers what its own `tests` say.
 */
describe('the README quick start with examples/decisions', () => {
  let server: TestServer;
  let token: string;
  const cli = (...args: string[]) => runCli(args, { url: server.url, token: server.adminToken });

  beforeAll(async () => {
    server = await startTestServer();
    for (const args of [
      ['project', 'create', 'pricing'],
      ['decision', 'push', EXAMPLES, '--project', 'pricing'],
      ['release', 'create', '--project', 'pricing'],
      ['env', 'create', 'prod', '--project', 'pricing'],
      ['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'latest'],
    ]) {
      const run = await cli(...args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    }
    const created = await cli('token', 'create', '--project', 'pricing', '--env', 'prod', '--json');
    token = JSON.parse(created.stdout).token;
    await waitFor('the release to be served', () => server.dataPlane.runtime.state?.tokens.size === 1);
  });
  afterAll(() => server?.close());

  const all = examples();
  it('ships decisions with tests', () => {
    expect(all.map((e) => e.key).sort()).toEqual(['discounts/customer-discount', 'pricing/order-price', 'shipping/carrier']);
    for (const example of all) expect(example.tests.length).toBeGreaterThan(0);
  });

  it('passes its own tests on the server (verdict test), and so can be released behind them', async () => {
    const run = await cli('test', '--project', 'pricing');
    expect(run.code, run.stderr).toBe(0);
    const cases = all.reduce((n, e) => n + e.tests.length, 0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`${cases} cases in ${all.length} decisions: ${cases} passed, 0 failed (latest saved versions)`);
    const gated = await cli('release', 'create', '--project', 'pricing', '--require-tests');
    expect(gated.code, gated.stderr).toBe(0);
    expect(gated.stdout).toMatch(new RegExp(`all ${cases} test cases of ${all.length} decisions passed\n$`));
  });

  it.each(all.flatMap((e) => e.tests.map((t, i) => [e.key, i, t] as const)))('%s answers its test %i', async (key, _i, test) => {
    const res = await server.request('POST', `/api/projects/pricing/evaluate/${key}`, { token: null, headers: { 'x-access-token': token }, body: { context: test.input } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result).toEqual(test.output);
  });
});
