import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusPath, readCorpus } from '../helpers/corpus.js';
import { expressionGraph } from '../helpers/graphs.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../../src/local-pg/index.js';
import { waitFor } from '../helpers/wait.js';

describe('verdict CLI', () => {
  let server: TestServer;
  let work: string;
  const cli = (args: string[], token?: string) => runCli(args, { url: server.url, token: token ?? server.adminToken, cwd: work });

  beforeAll(async () => {
    server = await startTestServer();
    work = mkdtempSync(path.join(tmpdir(), 'verdict-cli-'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the whole authoring-to-deployment flow', async () => {
    expect(await cli(['project', 'create', 'pricing', '--name', 'Pricing rules'])).toMatchObject({ code: 0, stdout: 'created project pricing\n' });
    const list = await cli(['project', 'list']);
    expect(list.stdout).toMatch(/^KEY\s+NAME/);
    expect(list.stdout).toMatch(/pricing\s+Pricing rules/);

    // A folder in GoRules release layout: .config is skipped, sub-folders become key prefixes.
    const folder = path.join(work, 'decisions');
    mkdirSync(path.join(folder, '.config'), { recursive: true });
    mkdirSync(path.join(folder, 'shipping'), { recursive: true });
    writeFileSync(path.join(folder, '.config', 'project.json'), '{"name":"x"}');
    cpSync(corpusPath('graphs', 'decision-table-shipping.json'), path.join(folder, 'shipping', 'table.json'));
    cpSync(corpusPath('graphs', 'loan-approval.json'), path.join(folder, 'loans.json'));
    const push = await cli(['decision', 'push', folder, '--project', 'pricing', '-m', 'initial import']);
    expect(push).toMatchObject({ code: 0, stderr: '' });
    expect(push.stdout).toMatch(/saved\s+loans\s+v1/);
    expect(push.stdout).toMatch(/saved\s+shipping\/table\s+v1/);
    expect(push.stdout).toMatch(/2 saved, 0 unchanged\n$/);
    expect((await cli(['decision', 'push', folder, '--project', 'pricing'])).stdout).toMatch(/0 saved, 2 unchanged/);

    const single = await cli(['decision', 'push', corpusPath('graphs', 'aml.json'), '--project', 'pricing', '--key', 'risk/aml']);
    expect(single.stdout).toMatch(/saved\s+risk\/aml\s+v1/);

    const release = await cli(['release', 'create', '--project', 'pricing', '--label', 'r1', '--notes', 'first cut']);
    expect(release.stdout).toMatch(/^created release r1 \([0-9a-f-]{36}\) with 3 decisions/);
    expect((await cli(['env', 'create', 'prod', '--project', 'pricing'])).code).toBe(0);
    const deploy = await cli(['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'latest']);
    expect(deploy).toMatchObject({ code: 0 });
    expect(deploy.stdout).toMatch(/^deployed prod to r1; deployment \d+\n$/);
    expect((await cli(['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'r1'])).stdout).toMatch(/already serves r1; nothing changed/);

    const token = await cli(['--json', 'token', 'create', '--project', 'pricing', '--env', 'prod', '--name', 'checkout']);
    expect(token.code).toBe(0);
    const parsed = JSON.parse(token.stdout);
    expect(parsed.token).toMatch(/^vrd_eval_/);
    const plain = await cli(['token', 'create', '--project', 'pricing', '--env', 'prod']);
    expect(plain.stdout).toMatch(/^vrd_eval_\S+\n$/);
    expect(plain.stderr).toMatch(/not shown again/);
    const tokens = await cli(['token', 'list', '--project', 'pricing', '--env', 'prod']);
    expect(tokens.stdout).toContain('checkout');
    expect(tokens.stdout).not.toContain(parsed.token);
    expect((await cli(['token', 'revoke', parsed.id, '--project', 'pricing', '--env', 'prod'])).stdout).toMatch(/^revoked evaluation token/);

    const envs = await cli(['env', 'list', '--project', 'pricing']);
    expect(envs.stdout).toMatch(/prod\s+r1/);
  });

  it('pulls decisions back to files identical in content', async () => {
    const out = path.join(work, 'pulled');
    const pull = await cli(['decision', 'pull', '--project', 'pricing', '-o', out]);
    expect(pull.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'shipping', 'table.json'), 'utf8'))).toEqual(readCorpus('graphs', 'decision-table-shipping.json'));
    expect(JSON.parse(readFileSync(path.join(out, 'risk', 'aml.json'), 'utf8'))).toEqual(readCorpus('graphs', 'aml.json'));
    const stdout = await cli(['decision', 'pull', 'loans', '--project', 'pricing', '--release', 'r1', '-o', '-']);
    expect(JSON.parse(stdout.stdout)).toEqual(readCorpus('graphs', 'loan-approval.json'));
    const atVersion = await cli(['decision', 'pull', 'loans', '--project', 'pricing', '--at', '1', '-o', '-']);
    expect(JSON.parse(atVersion.stdout)).toEqual(readCorpus('graphs', 'loan-approval.json'));
  });

  it('shows history, releases, diffs, rollbacks and the audit log', async () => {
    const changed = readCorpus('graphs', 'loan-approval.json');
    changed.nodes[0].name = 'changed';
    const file = path.join(work, 'loans.json');
    writeFileSync(file, JSON.stringify(changed));
    expect((await cli(['decision', 'push', file, '--project', 'pricing', '-m', 'rename input'])).stdout).toMatch(/saved\s+loans\s+v2/);
    const history = await cli(['decision', 'history', 'loans', '--project', 'pricing']);
    expect(history.stdout.split('\n')[1]).toMatch(/^2\s+[0-9a-f]{12}\s+.*rename input$/);

    await cli(['release', 'create', '--project', 'pricing']);
    const releases = await cli(['release', 'list', '--project', 'pricing']);
    expect(releases.stdout.split('\n').slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual(['v2', 'r1']);
    const diff = await cli(['release', 'diff', 'r1', '--project', 'pricing']);
    expect(diff.stdout).toBe('r1 -> v2\n  ~ loans (v1 -> v2)\n0 added, 1 changed, 0 removed, 2 unchanged\n');
    const show = await cli(['release', 'show', 'v2', '--project', 'pricing']);
    expect(show.stdout).toMatch(/^label:\s+v2$/m);
    expect(show.stdout).toMatch(/^loans\s+2\s+[0-9a-f]{12}$/m);

    await cli(['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'v2']);
    const rollback = await cli(['rollback', '--project', 'pricing', '--env', 'prod']);
    expect(rollback.stdout).toMatch(/^rolled back prod to r1 \(was v2\)/);
    const envHistory = await cli(['--json', 'env', 'history', 'prod', '--project', 'pricing']);
    expect(JSON.parse(envHistory.stdout).map((d: any) => d.kind)).toEqual(['rollback', 'deploy', 'deploy']);

    const audit = await cli(['audit', '--project', 'pricing', '--action', 'deployment.*']);
    expect(audit.stdout.trim().split('\n')).toHaveLength(4); // header + 3 deployments
    const json = JSON.parse((await cli(['--json', 'audit', '--limit', '1'])).stdout);
    expect(json).toHaveLength(1);
  });

  it('manages API tokens and enforces roles', async () => {
    const viewer = await cli(['api-token', 'create', '--role', 'viewer', '--name', 'auditor']);
    const viewerToken = viewer.stdout.trim();
    expect(viewerToken).toMatch(/^vrd_api_/);
    expect((await cli(['whoami'], viewerToken)).stdout).toBe('auditor (viewer)\n');
    const denied = await cli(['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'r1'], viewerToken);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe("verdict: Not allowed: role 'viewer' (token 'auditor') is not allowed to deploy or roll back\n");
    const list = JSON.parse((await cli(['--json', 'api-token', 'list'])).stdout);
    const id = list.find((t: any) => t.name === 'auditor').id;
    await cli(['api-token', 'revoke', id]);
    expect((await cli(['whoami'], viewerToken)).stderr).toMatch(/unknown or has been revoked/);
    expect((await cli(['api-token', 'create', '--role', 'root'])).stderr).toBe('verdict: --role must be one of admin, editor, deployer, viewer (got "root")\n');
  });

  it('fails with one line and a non-zero exit', async () => {
    const invalid = await cli(['decision', 'push', corpusPath('engine-cases', 'error-missing-input.json'), '--project', 'pricing']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe("verdict: Decision graph is invalid: decision 'error-missing-input': the graph has no input node (the engine needs exactly one)\n");
    const notJson = path.join(work, 'broken.json');
    writeFileSync(notJson, '{ nope');
    expect((await cli(['decision', 'push', notJson, '--project', 'pricing'])).stderr).toMatch(/^verdict: .*broken\.json is not valid JSON/);
    expect((await cli(['decision', 'push', path.join(work, 'missing'), '--project', 'pricing'])).stderr).toMatch(/does not exist\n$/);
    const noProject = await cli(['decision', 'push', notJson]);
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toMatch(/required option '--project <project>' not specified/);
    const closedPort = await freePort();
    const unreachable = await runCli(['project', 'list'], { url: `http://127.0.0.1:${closedPort}`, token: 'x' });
    expect(unreachable).toMatchObject({ code: 1, stderr: expect.stringMatching(/^verdict: cannot reach Verdict at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/) });
    const noToken = await runCli(['project', 'list'], { url: server.url });
    expect(noToken.stderr).toMatch(/no token given: use --token or VERDICT_TOKEN/);
    for (const r of [invalid, unreachable, noToken]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('evaluates with an evaluation token, and prints the trace as a table', async () => {
    const token = (await cli(['token', 'create', '--project', 'pricing', '--env', 'prod', '--name', 'smoke'])).stdout.trim();
    const context = JSON.stringify({ creditScore: 685, annualIncome: 72000, monthlyDebt: 1800, monthlyIncome: 6000, employmentYears: 4, employmentStatus: 'full_time', loanAmount: 250000, loanTerm: 30 });
    // A new token reaches the evaluating node with its next poll.
    const plain = await waitFor('the new evaluation token to be accepted', async () => {
      const run = await cli(['evaluate', 'loans', '--project', 'pricing', '--context', context, '--access-token', token]);
      return run.code === 0 && run;
    });
    expect(JSON.parse(plain.stdout)).toMatchObject({ approval: true, interestRate: 6.5 });

    const traced = await cli(['evaluate', 'loans', '--project', 'pricing', '--context', context, '--access-token', token, '--trace']);
    expect(traced.code).toBe(0);
    const [result, table] = traced.stdout.split('\n\n');
    expect(JSON.parse(result!)).toMatchObject({ approval: true, interestRate: 6.5 });
    const lines = table!.trim().split('\n');
    expect(lines[0]).toMatch(/^#\s+NODE\s+TYPE\s+TIME\s+DETAIL$/);
    // In evaluation order, each with what it decided and what it changed.
    expect(lines[1]).toMatch(/^0\s+loanApplication\s+input\s+\S+s\s/);
    expect(lines[2]).toMatch(/^1\s+creditScoreEvaluation\s+table\s+\S+s\s+rule 3 .*creditRating="fair", creditScorePoints=15/);
    expect(lines.find((l) => l.includes('debtToIncomeRatio'))).toMatch(/expression\s+\S+s\s+dtiRatio=30$/);
    expect(lines.find((l) => l.includes('loanApprovalDecision'))).toMatch(/switch\s+\S+s\s+statement approval1/);
    expect(lines.find((l) => l.includes('interestRateCalculation'))).toMatch(/interestRate=6\.5/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(160);

    const json = JSON.parse((await cli(['--json', 'evaluate', 'loans', '--project', 'pricing', '--context', context, '--access-token', token, '--trace'])).stdout);
    expect(Object.keys(json.trace)).toContain('evaluateCreditScore');
  });

  it('shows every validation problem: one per line, or the whole problem document with --json', async () => {
    const folder = path.join(work, 'invalid');
    mkdirSync(folder, { recursive: true });
    cpSync(corpusPath('engine-cases', 'error-missing-input.json'), path.join(folder, 'no-input.json'));
    writeFileSync(path.join(folder, 'bad-expressions.json'), JSON.stringify(expressionGraph({ total: 'price *', discount: 'rate ))' })));

    const json = await cli(['--json', 'decision', 'push', folder, '--project', 'pricing']);
    expect(json.code).toBe(1);
    const problem = JSON.parse(json.stdout);
    expect(problem).toMatchObject({ status: 422, code: 'invalid-decision', title: 'Decision graph is invalid' });
    expect(problem.errors).toHaveLength(3);
    expect(problem.errors.map((e: any) => e.decision).sort()).toEqual(['bad-expressions', 'bad-expressions', 'no-input']);
    expect(json.stderr.trim().split('\n')).toHaveLength(1);

    const plain = await cli(['decision', 'push', folder, '--project', 'pricing']);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    const lines = plain.stderr.trim().split('\n');
    expect(lines).toEqual([
      'verdict: Decision graph is invalid: 3 problems',
      expect.stringMatching(/^ {2}decision 'bad-expressions': node 'Calc' \(id calc\): expression 'total'/),
      expect.stringMatching(/^ {2}decision 'bad-expressions': node 'Calc' \(id calc\): expression 'discount'/),
      "  decision 'no-input': the graph has no input node (the engine needs exactly one)",
    ]);
  });

  it('exits 2 for usage errors, with one line on stderr', async () => {
    const usage = async (args: string[], message: RegExp, options: { url?: string; env?: Record<string, string> } = {}) => {
      const run = await runCli(args, { url: options.url ?? server.url, token: server.adminToken, cwd: work, ...(options.env ? { env: options.env } : {}) });
      // Soft: one run reports every command that gets it wrong.
      expect.soft({ args, code: run.code }).toEqual({ args, code: 2 });
      expect.soft(run.stderr).toMatch(message);
      expect.soft(run.stderr.trim().split('\n')).toHaveLength(1);
      expect.soft(run.stdout).toBe('');
    };
    await usage(['project', 'list'], /--url\/VERDICT_URL is not a URL/, { url: 'not a url' });
    await usage(['--url', 'nope', 'project', 'list'], /is not a URL: nope/);
    await usage(['--timeout', 'soon', 'project', 'list'], /--timeout\/VERDICT_TIMEOUT_MS must be a positive number/);
    await usage(['api-token', 'create', '--role', 'root'], /--role must be one of admin, editor, deployer, viewer \(got "root"\)/);
    await usage(['evaluate', 'loans', '--project', 'pricing', '--context', '{}'], /an evaluation token is required/);
    await usage(['evaluate', 'loans', '--project', 'pricing', '--access-token', 'x', '--context', '{nope'], /the context is not valid JSON/);
    await usage(['evaluate', 'loans', '--project', 'pricing', '--access-token', 'x', '--context', '[1, 2]'], /the context must be a JSON object/);
    await usage(['evaluate', 'loans', '--project', 'pricing', '--access-token', 'x', '--context-file', 'missing.json'], /cannot read missing\.json/);
    await usage(['audit', '--limit', '0'], /--limit must be a positive integer \(got "0"\)/);
    await usage(['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'r1', '--wait', 'everyone'], /--wait must be replicas or fleet/);
    await usage(['decision', 'pull', 'a', 'b', '--project', 'pricing', '--at', '1'], /--at needs exactly one key/);
    await usage(['decision', 'push', path.join(work, 'missing'), '--project', 'pricing'], /does not exist/);
    await usage(['release', 'export', '--project', 'pricing', '--release', 'r1', '--format', 'zip'], /--format must be verdict or agent/);
    await usage(['release', 'apply', 'nothing-here.zip'], /cannot read nothing-here\.zip/);
    await usage(['release', 'apply', 'nothing-here.zip', '--wait'], /--wait needs --env/);
    await usage(['lab', 'up', '--regions', 'many', '--dir', work], /--regions must be a positive integer/);
    await usage(['serve'], /PORT must be an integer/, { env: { PORT: 'http' } });
    await usage(['decision', 'history', '--project', 'pricing'], /missing required argument 'key'/);
    await usage(['project', 'list', '--bogus'], /unknown option '--bogus'/);
  });

  it('explains itself with --help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'project', 'decision', 'release', 'env', 'deploy', 'rollback', 'token', 'api-token', 'audit']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }
    expect((await cli(['serve', '--help'])).stdout).toMatch(/DATABASE_URL/);
  });
});
