import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCorpus } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('verdict decision diff and release diff --content', () => {
  let server: TestServer;
  let work: string;
  const cli = (args: string[], token?: string) => runCli(args, { url: server.url, token: token ?? server.adminToken, cwd: work });
  const aml = readCorpus('graphs', 'aml.json');
  const edited = structuredClone(aml);
  const table = edited.nodes.find((n: any) => n.name === 'Transaction Amount');
  const column = table.content.inputs[0];
  const firstRule = table.content.rules[0];
  const oldCell = firstRule[column.id];
  const removedEdge = edited.edges[edited.edges.length - 1];
  const edgeEnds = [removedEdge.sourceId, removedEdge.targetId].map((id: string) => aml.nodes.find((n: any) => n.id === id).name);

  const push = async (file: string, content: unknown, key = 'aml') => {
    writeFileSync(path.join(work, file), JSON.stringify(content));
    const run = await cli(['decision', 'push', path.join(work, file), '--project', 'risk', '--key', key]);
    expect(run, run.stderr).toMatchObject({ code: 0 });
  };

  beforeAll(async () => {
    server = await startTestServer();
    work = mkdtempSync(path.join(tmpdir(), 'verdict-cli-diff-'));
    expect((await cli(['project', 'create', 'risk'])).code).toBe(0);
    await push('v1.json', aml);
    await push('other.json', readCorpus('graphs', 'loan-approval.json'), 'loans');
    expect((await cli(['release', 'create', '--project', 'risk', '--label', 'before'])).code).toBe(0);

    firstRule[column.id] = "'platinum'";
    table.content.rules.push({ _id: 'added-rule', [column.id]: "'bronze'" });
    const fn = edited.nodes.find((n: any) => n.type === 'functionNode');
    fn.content = fn.content.replace('const flags = input.flags || {};', 'const flags = input.flags ?? {};');
    edited.nodes.push({ id: 'score', type: 'expressionNode', name: 'Score', position: { x: 1, y: 1 }, content: { expressions: [{ id: 'x1', key: 'score', value: '1' }] } });
    edited.edges.pop();
    await push('v2.json', edited);
    expect((await cli(['release', 'create', '--project', 'risk', '--label', 'after'])).code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('prints what changed between two versions, line by line', async () => {
    const run = await cli(['decision', 'diff', 'aml', '--project', 'risk', '--from', '1']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('aml: v1 -> v2');
    expect(lines).toContain('+ node "Score" (expressionNode)');
    expect(lines).toContain('~ node "Transaction Amount" (decisionTableNode)');
    expect(lines).toContain(`    rule 1 (id ${firstRule._id}): cell ${JSON.stringify(column.name)}: ${JSON.stringify(oldCell)} -> "'platinum'"`);
    expect(lines).toContain(`    + rule ${table.content.rules.length} (id added-rule): ${JSON.stringify(column.name)} "'bronze'"`);
    expect(lines).toContain('~ node "Aggregator" (functionNode)');
    expect(lines).toContain('    code changed (33 -> 33 lines):');
    expect(lines).toContain('      -  const flags = input.flags || {};');
    expect(lines).toContain('      +  const flags = input.flags ?? {};');
    expect(lines.find((l) => l.startsWith('      @@ '))).toMatch(/^ {6}@@ -\d+,7 \+\d+,7 @@$/);
    expect(lines).toContain(`- edge ${JSON.stringify(edgeEnds[0])} -> ${JSON.stringify(edgeEnds[1])}`);
    expect(lines.at(-2)).toBe('1 node added, 0 removed, 2 changed, 0 moved; 0 edges added, 1 removed');
    expect(lines.at(-1)).toBe('');
  });

  it('prints the API object with --json, and takes --to', async () => {
    const json = await cli(['--json', 'decision', 'diff', 'aml', '--project', 'risk', '--from', '2', '--to', '1']);
    expect(json.code).toBe(0);
    const api = await server.request('GET', '/api/projects/risk/decisions/aml/diff?from=2&to=1');
    expect(JSON.parse(json.stdout)).toEqual(api.body);
    expect(api.body.diff.summary).toMatchObject({ nodesAdded: 0, nodesRemoved: 1, edgesAdded: 1 });

    const same = await cli(['decision', 'diff', 'aml', '--project', 'risk', '--from', '2', '--to', '2']);
    expect(same.stdout).toBe('aml: v2 -> v2\nno changes\n');
  });

  it('fails with one line: unknown decision or version (exit 1), bad options (exit 2)', async () => {
    const unknown = await cli(['decision', 'diff', 'nope', '--project', 'risk', '--from', '1']);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: "verdict: Not found: decision 'nope' does not exist in project 'risk'\n" });
    const version = await cli(['decision', 'diff', 'aml', '--project', 'risk', '--from', '7']);
    expect(version).toMatchObject({ code: 1, stderr: "verdict: Not found: decision 'aml' has no version 7 (latest is 2)\n" });
    const usage = async (args: string[], message: RegExp) => {
      const run = await cli(args);
      expect.soft({ args, code: run.code }).toEqual({ args, code: 2 });
      expect.soft(run.stderr).toMatch(message);
      expect.soft(run.stderr.trim().split('\n')).toHaveLength(1);
      expect.soft(run.stdout).toBe('');
    };
    await usage(['decision', 'diff', 'aml', '--project', 'risk'], /required option '--from <version>' not specified/);
    await usage(['decision', 'diff', 'aml', '--project', 'risk', '--from', '0'], /--from must be a positive integer \(got "0"\)/);
    await usage(['decision', 'diff', 'aml', '--project', 'risk', '--from', '1', '--to', 'latest'], /--to must be a positive integer \(got "latest"\)/);
    await usage(['release', 'diff', '--project', 'risk'], /name the base release/);
    await usage(['release', 'diff', 'after', 'before', '--base', 'before', '--project', 'risk'], /with --base, name one release/);
  });

  it('shows each changed decision\'s changes under it with release diff --content', async () => {
    const run = await cli(['release', 'diff', 'after', '--base', 'before', '--content', '--project', 'risk']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['before -> after', '  ~ aml (v1 -> v2)', '      + node "Score" (expressionNode)']);
    expect(lines).toContain(`          rule 1 (id ${firstRule._id}): cell ${JSON.stringify(column.name)}: ${JSON.stringify(oldCell)} -> "'platinum'"`);
    expect(lines).toContain('      1 node added, 0 removed, 2 changed, 0 moved; 0 edges added, 1 removed');
    expect(lines.at(-2)).toBe('0 added, 1 changed, 0 removed, 1 unchanged');

    // Without --content, and in the older positional form, the answer is the decision list alone.
    const plain = await cli(['release', 'diff', 'before', 'after', '--project', 'risk']);
    expect(plain.stdout).toBe('before -> after\n  ~ aml (v1 -> v2)\n0 added, 1 changed, 0 removed, 1 unchanged\n');
    expect((await cli(['release', 'diff', 'before', '--project', 'risk'])).stdout).toBe(plain.stdout);

    const json = JSON.parse((await cli(['--json', 'release', 'diff', 'latest', '--base', 'before', '--content', '--project', 'risk'])).stdout);
    expect(json.changed[0].content.summary).toMatchObject({ nodesAdded: 1, nodesChanged: 2, edgesRemoved: 1 });
    expect(json.contentOmitted).toBe(0);
  });

  it('lets a viewer run both', async () => {
    const viewer = await server.tokenFor('viewer');
    expect((await cli(['decision', 'diff', 'aml', '--project', 'risk', '--from', '1'], viewer)).code).toBe(0);
    expect((await cli(['release', 'diff', 'after', '--base', 'before', '--content', '--project', 'risk'], viewer)).code).toBe(0);
  });

  it('explains itself with --help', async () => {
    const help = await cli(['decision', 'diff', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--from <version>\s+the version to compare from/);
    expect(help.stdout).toMatch(/rule 3 \(id r3\): cell "Age": "> 18" -> ">= 18"/);
    const release = await cli(['release', 'diff', '--help']);
    expect(release.stdout).toMatch(/--content\s+also show what changed inside each changed decision/);
    expect(release.stdout).toMatch(/verdict release diff v3 --base v1 --project P/);
    expect((await cli(['decision', '--help'])).stdout).toMatch(/^ {2}diff \[options\] <key>/m);
  });
});
