import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/decisions', import.meta.url));

describe('verdict test and release create --require-tests', () => {
  let server: TestServer;
  let work: string;
  const cli = (...args: string[]) => runCli(args, { url: server.url, token: server.adminToken, cwd: work });
  const releases = async () => JSON.parse((await cli('--json', 'release', 'list', '--project', 'shop')).stdout).length as number;

  /** The examples' discount table with the gold customers' 15 % turned into 20 %, written to a file to push. */
  function breakDiscount(): string {
    const doc = JSON.parse(readFileSync(path.join(EXAMPLES, 'discounts/customer-discount.json'), 'utf8'));
    doc.nodes.find((n: any) => n.type === 'decisionTableNode').content.rules.find((r: any) => r._id === 'gold-large').percent = '20';
    const file = path.join(work, 'broken-discount.json');
    writeFileSync(file, JSON.stringify(doc));
    return file;
  }

  beforeAll(async () => {
    server = await startTestServer({ testMaxCases: 20 });
    work = mkdtempSync(path.join(tmpdir(), 'verdict-test-cli-'));
    expect((await cli('project', 'create', 'shop')).code).toBe(0);
    expect((await cli('decision', 'push', EXAMPLES, '--project', 'shop')).code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('prints a PASS line per case and a summary, and exits 0 when all pass', async () => {
    const run = await cli('test', '--project', 'shop');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines.slice(0, 8).every((l) => l.startsWith('PASS  '))).toBe(true);
    expect(lines).toContain('PASS  discounts/customer-discount  tests[2]');
    expect(lines).toContain('PASS  pricing/order-price          tests[1]');
    expect(lines.at(-1)).toBe('8 cases in 3 decisions: 8 passed, 0 failed (latest saved versions)');
  });

  it('gates a release on the tests: cut when green', async () => {
    const created = await cli('release', 'create', '--project', 'shop', '--label', 'green', '--require-tests');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^created release green \([0-9a-f-]{36}\) with 3 decisions, hash [0-9a-f]{12}; all 8 test cases of 3 decisions passed\n$/);
  });

  it('prints FAIL lines with a diff of expected and actual, and exits 1 when a case fails', async () => {
    expect((await cli('decision', 'push', breakDiscount(), '--project', 'shop', '--key', 'discounts/customer-discount')).code).toBe(0);
    const run = await cli('test', '--project', 'shop');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('verdict: 2 of 8 test cases failed\n');
    expect(run.stdout).toContain(
      [
        'FAIL  discounts/customer-discount  tests[0]',
        '        (- expected, + actual)',
        '        - /discountPercent: 15',
        '        + /discountPercent: 20',
        'PASS  discounts/customer-discount  tests[1]',
      ].join('\n'),
    );
    expect(run.stdout).toContain(
      [
        'FAIL  pricing/order-price          tests[0]',
        '        (- expected, + actual)',
        '        - /discount: 36',
        '        + /discount: 48',
        '        - /discountPercent: 15',
        '        + /discountPercent: 20',
        '        - /total: 204',
        '        + /total: 192',
      ].join('\n'),
    );
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('8 cases in 3 decisions: 6 passed, 2 failed (latest saved versions)');

    // The release cut before the change still passes; one decision alone can be run.
    expect(await cli('test', '--project', 'shop', '--release', 'green')).toMatchObject({ code: 0 });
    const one = await cli('test', '--project', 'shop', '--decision', 'shipping/carrier', '--decision', 'discounts/customer-discount');
    expect(one.code).toBe(1);
    expect(one.stdout.trimEnd().split('\n').at(-1)).toBe('6 cases in 2 decisions: 5 passed, 1 failed (latest saved versions)');

    const json = await cli('--json', 'test', '--project', 'shop');
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ passed: false, totals: { cases: 8, failed: 2 } });
    expect(parsed.decisions.find((d: any) => d.key === 'discounts/customer-discount').cases[0]).toMatchObject({ actual: { discountPercent: 20 }, expected: { discountPercent: 15 } });
  });

  it('refuses the release with --require-tests while a case fails, listing the failures, writing nothing', async () => {
    const before = await releases();
    const refused = await cli('release', 'create', '--project', 'shop', '--require-tests');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "verdict: Decision tests failed: 2 of 8 test cases failed, so no release was made; first: decision 'discounts/customer-discount', tests[0]: /discountPercent: expected 15, got 20\n",
    );
    expect(refused.stdout.startsWith(
      [
        'FAIL  discounts/customer-discount  tests[0]',
        '        (- expected, + actual)',
        '        - /discountPercent: 15',
        '        + /discountPercent: 20',
        'FAIL  pricing/order-price          tests[0]',
      ].join('\n'),
    )).toBe(true);
    expect(await releases()).toBe(before);

    const json = await cli('--json', 'release', 'create', '--project', 'shop', '--require-tests');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ code: 'tests-failed', totals: { failed: 2 }, errors: [{ decision: 'discounts/customer-discount', testCase: 0 }, { decision: 'pricing/order-price', testCase: 0 }] });
    expect(await releases()).toBe(before);

    // Without the gate the release is cut as before.
    expect((await cli('release', 'create', '--project', 'shop')).code).toBe(0);
    expect(await releases()).toBe(before + 1);
  });

  it('reports errors in one line with a non-zero exit code, and documents its exit codes', async () => {
    expect(await cli('test', '--project', 'nope')).toMatchObject({ code: 1, stdout: '', stderr: "verdict: Not found: project 'nope' does not exist\n" });
    expect(await cli('test', '--project', 'shop', '--decision', 'missing')).toMatchObject({ code: 1, stderr: "verdict: Not found: project 'shop' has no decision 'missing'\n" });
    expect(await cli('test', '--project', 'shop', '--release', 'v77')).toMatchObject({ code: 1, stderr: "verdict: Not found: project 'shop' has no release 'v77'\n" });
    // testMaxCases is 20 on this server: the 8 cases so far fit, 29 do not.
    const many = JSON.parse(readFileSync(path.join(EXAMPLES, 'shipping/carrier.json'), 'utf8'));
    many.tests = Array.from({ length: 7 }, () => many.tests).flat();
    writeFileSync(path.join(work, 'many.json'), JSON.stringify(many));
    expect((await cli('decision', 'push', path.join(work, 'many.json'), '--project', 'shop', '--key', 'shipping/many')).code).toBe(0);
    const refused = await cli('test', '--project', 'shop');
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^verdict: Bad request: the run would evaluate 29 test cases; at most 20 run at once \(VERDICT_TEST_MAX_CASES\)/);
    expect(await cli('test')).toMatchObject({ code: 2, stderr: "error: required option '--project <project>' not specified\n" });

    const help = await cli('test', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes \(also with --json, which prints the whole run first\):\n {2}0 {2}every case passed/);
    expect(help.stdout).toMatch(/\n {2}1 {2}a case failed/);
    expect((await cli('--help')).stdout).toMatch(/^ {2}test\b/m);
    expect((await cli('release', 'create', '--help')).stdout).toMatch(/--require-tests/);
  });
});
