import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../../src/control-plane/packages/build.js';
import { MANIFEST_FILE, PROJECT_CONFIG_FILE, SIGNATURE_FILE } from '../../src/control-plane/packages/format.js';
import { generateSigningKeys, loadPrivateKey } from '../../src/control-plane/packages/signing.js';
import { readZip, writeZip } from '../../src/control-plane/packages/zip.js';
import { readCorpus } from '../helpers/corpus.js';
import { rowCounts } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { parentGraph, expressionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const trusted = generateSigningKeys();
const stranger = generateSigningKeys();
const trustedKeys = new Map([[trusted.keyId, createPublicKey(trusted.publicKey)]]);

/** Rewrites a zip's entries (to tamper with a package the way an attacker would). */
async function rewrite(zip: Buffer, change: (files: Map<string, Buffer>) => void): Promise<Buffer> {
  const files = await readZip(zip);
  change(files);
  return writeZip([...files].map(([p, data]) => ({ path: p, data })));
}

function rawZip(entries: { name: string; data: Buffer; compress?: boolean }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, { compress: e.compress ?? true });
  zip.end();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

describe('release packages between two instances', () => {
  let dev: TestServer;
  let prod: TestServer;
  let work: string;
  let signedZip: Buffer;
  const apply = (zip: Buffer, query = '') => prod.request('POST', `/api/projects/pricing/packages${query}`, { body: zip });

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'verdict-pkg-'));
    writeFileSync(path.join(work, 'trusted.key'), trusted.privateKey);
    writeFileSync(path.join(work, 'stranger.key'), stranger.privateKey);
    dev = await startTestServer({ packages: { instanceName: 'dev-1', signingKey: undefined, trustedKeys: new Map(), requireSigned: false } });
    prod = await startTestServer({ packages: { instanceName: 'prod-1', signingKey: undefined, trustedKeys, requireSigned: true } });
    for (const server of [dev, prod]) {
      await server.request('POST', '/api/projects', { body: { key: 'pricing', name: 'Pricing' } });
      await server.request('POST', '/api/projects/pricing/environments', { body: { key: 'prod' } });
    }
    await dev.request('POST', '/api/projects/pricing/decisions', {
      body: {
        decisions: [
          { key: 'shipping/table', content: readCorpus('graphs', 'decision-table-shipping.json') },
          { key: 'child', content: expressionGraph({ marker: "'c1'" }) },
          { key: 'parent', content: parentGraph('child', 'p1') },
        ],
      },
    });
    await dev.request('POST', '/api/projects/pricing/releases', { body: { label: '2026.11.25-1', notes: 'first' } });
    const exported = await runCli(
      ['release', 'export', '--project', 'pricing', '--release', '2026.11.25-1', '-o', 'signed.zip', '--sign-key', 'trusted.key'],
      { url: dev.url, token: dev.adminToken, cwd: work },
    );
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toMatch(new RegExp(`signed by ${trusted.keyId}`));
    signedZip = readFileSync(path.join(work, 'signed.zip'));
  });
  afterAll(async () => {
    await dev?.close();
    await prod?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports the same bytes every time, in the GoRules layout plus a manifest', async () => {
    const a = await dev.request('GET', '/api/projects/pricing/releases/latest/package');
    const b = await dev.request('GET', '/api/projects/pricing/releases/2026.11.25-1/package');
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/zip');
    expect(Buffer.compare(a.body, b.body)).toBe(0);
    const files = await readZip(a.body);
    expect([...files.keys()].sort()).toEqual([PROJECT_CONFIG_FILE, 'child.json', 'parent.json', 'shipping/table.json', MANIFEST_FILE]);
    const manifest = JSON.parse(files.get(MANIFEST_FILE)!.toString());
    expect(manifest).toMatchObject({ formatVersion: 1, project: { key: 'pricing' }, release: { label: '2026.11.25-1', notes: 'first' }, source: { instance: 'dev-1' } });
    const config = JSON.parse(files.get(PROJECT_CONFIG_FILE)!.toString());
    expect(config).toMatchObject({ version: '1', project: { key: 'pricing' }, accessTokens: [], release: { version: '2026.11.25-1' } });
    expect(JSON.parse(files.get('shipping/table.json')!.toString())).toEqual(readCorpus('graphs', 'decision-table-shipping.json'));
    // Signing is deterministic too (Ed25519).
    const again = await runCli(['release', 'export', '--project', 'pricing', '--release', 'latest', '-o', 'again.zip', '--sign-key', 'trusted.key'], {
      url: dev.url,
      token: dev.adminToken,
      cwd: work,
    });
    expect(again.code).toBe(0);
    expect(Buffer.compare(readFileSync(path.join(work, 'again.zip')), signedZip)).toBe(0);
  });

  it('applies a signed package in one step: same release id, label and hash, deployed and evaluated', async () => {
    const source = (await dev.request('GET', '/api/projects/pricing/releases/latest')).body;
    const res = await apply(signedZip, '?environment=prod');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'applied',
      release: { id: source.id, label: '2026.11.25-1', contentHash: source.contentHash },
      decisions: { saved: 3, unchanged: 0 },
      deployment: { environment: 'prod', changed: true },
      signedBy: trusted.keyId,
      source: 'dev-1',
    });
    const there = (await prod.request('GET', '/api/projects/pricing/releases/2026.11.25-1')).body;
    expect(there).toMatchObject({ id: source.id, contentHash: source.contentHash });
    const token = (await prod.request('POST', '/api/projects/pricing/environments/prod/tokens', { body: {} })).body.token;
    await waitFor('prod to serve the release', () => prod.dataPlane.runtime.state?.tokens.size === 1);
    const evaluated = await prod.request('POST', '/api/projects/pricing/evaluate/parent', { token: null, headers: { 'x-access-token': token }, body: { context: {} } });
    expect(evaluated.body).toMatchObject({ result: { parent: 'p1', child: 'c1' }, details: { releaseId: source.id } });
    const audit = (await prod.request('GET', '/api/audit?action=package.apply')).body.entries;
    expect(audit[0].details).toMatchObject({ source: 'dev-1', signedBy: trusted.keyId, status: 'applied' });
  });

  it('says "already applied" and changes nothing when the same package comes again', async () => {
    const before = await rowCounts(prod.db.sql);
    const res = await apply(signedZip, '?environment=prod');
    expect(res.body).toMatchObject({ status: 'already-applied', deployment: { changed: false } });
    expect(await rowCounts(prod.db.sql)).toEqual(before);
    const cli = await runCli(['release', 'apply', 'signed.zip', '--env', 'prod'], { url: prod.url, token: prod.adminToken, cwd: work });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^already applied: release 2026\.11\.25-1/);
  });

  it('keeps unchanged decisions at their version and never rewrites history', async () => {
    const changed = expressionGraph({ marker: "'c2'" });
    await dev.request('PUT', '/api/projects/pricing/decisions/child', { body: { content: changed } });
    await dev.request('POST', '/api/projects/pricing/releases', { body: { label: '2026.11.25-2' } });
    const zip = (await dev.request('GET', '/api/projects/pricing/releases/latest/package')).body as Buffer;
    const signed = await (await import('../../src/control-plane/packages/build.js')).signPackage(zip, loadPrivateKey(trusted.privateKey));
    const res = await apply(signed);
    expect(res.body).toMatchObject({ status: 'applied', decisions: { saved: 1, unchanged: 2 }, deployment: null });
    const history = (await prod.request('GET', '/api/projects/pricing/decisions/child/versions')).body;
    expect(history.map((v: any) => v.version)).toEqual([2, 1]);
  });

  describe('refuses bad packages and leaves the target unchanged', () => {
    const refused = async (zip: Buffer, code: string, detail: RegExp) => {
      const before = await rowCounts(prod.db.sql);
      const res = await apply(zip, '?environment=prod');
      expect(res.status, JSON.stringify(res.body)).toBe(code === 'conflict' ? 409 : 422);
      expect(res.body.code).toBe(code);
      expect(res.body.detail).toMatch(detail);
      expect(await rowCounts(prod.db.sql)).toEqual(before);
      return res;
    };

    it('a file that does not match its hash', async () => {
      const tampered = await rewrite(signedZip, (f) => {
        const doc = JSON.parse(f.get('child.json')!.toString());
        doc.nodes[1].content.expressions[0].value = "'hacked'";
        f.set('child.json', Buffer.from(JSON.stringify(doc)));
      });
      await refused(tampered, 'invalid-package', /child\.json does not match its SHA-256 in the manifest/);
    });

    it('a manifest changed after signing', async () => {
      const tampered = await rewrite(signedZip, (f) => {
        const manifest = JSON.parse(f.get(MANIFEST_FILE)!.toString());
        manifest.release.notes = 'edited';
        f.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2)));
      });
      await refused(tampered, 'untrusted-package', /signature of key \w+ does not match the manifest/);
    });

    it('an unknown signer', async () => {
      const zip = (await dev.request('GET', '/api/projects/pricing/releases/2026.11.25-1/package')).body as Buffer;
      const build = await import('../../src/control-plane/packages/build.js');
      await refused(await build.signPackage(zip, loadPrivateKey(stranger.privateKey)), 'untrusted-package', new RegExp(`signed by key ${stranger.keyId}, which this instance does not trust`));
    });

    it('an unsigned package where signatures are required', async () => {
      const zip = (await dev.request('GET', '/api/projects/pricing/releases/2026.11.25-1/package')).body as Buffer;
      await refused(zip, 'untrusted-package', /not signed and this instance requires signatures/);
    });

    it('a truncated zip', async () => {
      await refused(signedZip.subarray(0, Math.floor(signedZip.length * 0.6)), 'invalid-package', /not a readable zip file/);
    });

    it('a zip bomb', async () => {
      const bomb = await rawZip([{ name: 'bomb.json', data: Buffer.alloc(30 * 1024 * 1024, 0x20) }]);
      expect(bomb.length).toBeLessThan(100 * 1024);
      await refused(bomb, 'invalid-package', /expands \d+x; refusing a likely zip bomb/);
    });

    it('a zip bomb made of many small entries', async () => {
      const bomb = await rawZip(Array.from({ length: 400 }, (_, i) => ({ name: `part-${i}.json`, data: Buffer.alloc(512 * 1024, 0x20) })));
      expect(bomb.length).toBeLessThan(1024 * 1024);
      await refused(bomb, 'invalid-package', /expands more than 200x its size; refusing a likely zip bomb/);
    });

    it('a GoRules zip with two files for one decision', async () => {
      const graph = Buffer.from(JSON.stringify(readCorpus('graphs', 'expression-default.json')));
      const twice = await rawZip([{ name: 'a.json', data: graph }, { name: 'a', data: graph }]);
      await refused(twice, 'invalid-package', /another file in the zip is also decision 'a'/);
    });

    it("a release id that belongs to another project", async () => {
      await prod.request('POST', '/api/projects', { body: { key: 'other' } });
      const source = (await dev.request('GET', '/api/projects/pricing/releases/2026.11.25-1')).body;
      const content = expressionGraph({ marker: "'x'" });
      const { contentHash } = await import('../../src/lib/hash.js');
      const { releaseContentHash } = await import('../../src/control-plane/releases/service.js');
      const zip = await buildPackage(
        {
          project: { id: 'o', key: 'other', name: 'Other' },
          release: { id: source.id, label: 'other-1', contentHash: releaseContentHash([{ key: 'k', contentHash: contentHash(content) }]), notes: '', createdAt: source.createdAt, createdBy: 'x' },
          instance: 'elsewhere',
          decisions: [{ key: 'k', version: 1, contentHash: contentHash(content), content }],
        },
        loadPrivateKey(trusted.privateKey),
      );
      const before = await rowCounts(prod.db.sql);
      const res = await prod.request('POST', '/api/projects/other/packages', { body: zip });
      expect(res.status).toBe(409);
      expect(res.body.detail).toMatch(/already belongs to project 'pricing'/);
      expect(await rowCounts(prod.db.sql)).toEqual(before);
    });

    it('path traversal in entry names', async () => {
      const zip = await rawZip([{ name: 'xx/evil.json', data: Buffer.from('{"nodes":[],"edges":[]}') }]);
      // Rename the entry in both headers: a writer that allows it is easy to find.
      const evil = Buffer.from(zip.toString('latin1').replaceAll('xx/evil.json', '../evil.json'), 'latin1');
      await refused(evil, 'invalid-package', /entry '\.\.\/evil\.json' contains '\.' or '\.\.' segments/);
    });

    it('a newer format version', async () => {
      const future = await rewrite(signedZip, (f) => {
        const manifest = JSON.parse(f.get(MANIFEST_FILE)!.toString());
        manifest.formatVersion = 2;
        f.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest)));
        f.delete(SIGNATURE_FILE);
      });
      await refused(future, 'invalid-package', /format version 2 is newer than this Verdict understands \(1\)/);
    });

    it('a different package claiming an existing release id', async () => {
      const source = (await dev.request('GET', '/api/projects/pricing/releases/2026.11.25-1')).body;
      // Same release id and label, other content: a correctly signed package that must not replace the release.
      const content = expressionGraph({ marker: "'impostor'" });
      const { contentHash } = await import('../../src/lib/hash.js');
      const { releaseContentHash } = await import('../../src/control-plane/releases/service.js');
      const hash = contentHash(content);
      const zip = await buildPackage(
        {
          project: { id: 'x', key: 'pricing', name: 'Pricing' },
          release: {
            id: source.id,
            label: '2026.11.25-1',
            contentHash: releaseContentHash([{ key: 'child', contentHash: hash }]),
            notes: '',
            createdAt: source.createdAt,
            createdBy: 'mallory',
          },
          instance: 'elsewhere',
          decisions: [{ key: 'child', version: 9, contentHash: hash, content }],
        },
        loadPrivateKey(trusted.privateKey),
      );
      await refused(zip, 'conflict', /exists here as '2026\.11\.25-1' with different content/);
      writeFileSync(path.join(work, 'impostor.zip'), zip);
      const cli = await runCli(['release', 'apply', 'impostor.zip'], { url: prod.url, token: prod.adminToken, cwd: work });
      expect(cli.code).toBe(3);
    });

    it('with the documented CLI exit code for refusals', async () => {
      writeFileSync(path.join(work, 'truncated.zip'), signedZip.subarray(0, 100));
      const local = await runCli(['release', 'apply', 'truncated.zip', '--project', 'pricing'], { url: prod.url, token: prod.adminToken, cwd: work });
      expect(local).toMatchObject({ code: 4, stderr: expect.stringMatching(/^verdict: package refused: not a readable zip file/) });
      const unsigned = (await dev.request('GET', '/api/projects/pricing/releases/2026.11.25-1/package')).body as Buffer;
      writeFileSync(path.join(work, 'unsigned.zip'), unsigned);
      const remote = await runCli(['release', 'apply', 'unsigned.zip'], { url: prod.url, token: prod.adminToken, cwd: work });
      expect(remote.code).toBe(4);
      expect(remote.stderr).toMatch(/Release package signature refused: the package is not signed/);
    });
  });
});

describe('separation of duties: what a deployer may apply', () => {
  let dev: TestServer;
  let target: TestServer;
  let work: string;
  let deployer: string;
  let editor: string;
  let unsigned: Buffer;
  const apply = (zip: Buffer, token: string, query = '') => target.request('POST', `/api/projects/pricing/packages${query}`, { body: zip, token });
  /** The release prod is deployed to, from the deployment history (not a node's view, which follows it a poll later). */
  const serving = async () => {
    const history = (await target.request('GET', '/api/projects/pricing/environments/prod/deployments')).body;
    return (history[0]?.release.label ?? null) as string | null;
  };
  /** The current content of `key` on DEV as a GoRules zip (no manifest, never signed). */
  const goRulesZip = async (content: unknown) => rawZip([{ name: 'child.json', data: Buffer.from(JSON.stringify(content)) }]);

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'verdict-duties-'));
    dev = await startTestServer({ packages: { instanceName: 'dev-2', signingKey: undefined, trustedKeys: new Map(), requireSigned: false } });
    // Signatures are checked when present but not required: the case where an unsigned package could slip through.
    target = await startTestServer({ packages: { instanceName: 'stage-2', signingKey: undefined, trustedKeys, requireSigned: false } });
    for (const server of [dev, target]) {
      await server.request('POST', '/api/projects', { body: { key: 'pricing' } });
      await server.request('POST', '/api/projects/pricing/environments', { body: { key: 'prod' } });
    }
    await dev.request('POST', '/api/projects/pricing/decisions', { body: { decisions: [{ key: 'child', content: expressionGraph({ marker: "'c1'" }) }] } });
    await dev.request('POST', '/api/projects/pricing/releases', { body: { label: 'r1' } });
    unsigned = (await dev.request('GET', '/api/projects/pricing/releases/r1/package')).body;
    deployer = await target.tokenFor('deployer');
    editor = await target.tokenFor('editor');
  });
  afterAll(async () => {
    await dev?.close();
    await target?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses (403) an unsigned package that would save new decision versions, and says what is needed', async () => {
    const before = await rowCounts(target.db.sql);
    const res = await apply(unsigned, deployer, '?environment=prod');
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'forbidden', role: 'deployer', permission: 'decision:write', decisions: ['child'] });
    expect(res.body.detail).toMatch(/role 'deployer' \(token 'deployer \(test\)'\) may apply an unsigned package only if its decisions are already here, and this one would save new versions of 'child'/);
    expect(res.body.detail).toMatch(/sign the package with a key this instance trusts .* or apply it with a token that may change decisions \(editor or admin\)/);
    expect(await rowCounts(target.db.sql)).toEqual(before);
    writeFileSync(path.join(work, 'unsigned.zip'), unsigned);
    const cli = await runCli(['release', 'apply', 'unsigned.zip', '--env', 'prod'], { url: target.url, token: deployer, cwd: work });
    expect(cli.code, cli.stderr).toBe(4);
    expect(cli.stderr).toMatch(/may apply an unsigned package only if its decisions are already here/);
  });

  it('lets it deploy an unsigned package whose content is already here', async () => {
    // An admin brings the content (e.g. from a pipeline without signing); the deployer puts it live.
    expect((await apply(unsigned, target.adminToken)).body).toMatchObject({ status: 'applied', decisions: { saved: 1 } });
    const res = await apply(unsigned, deployer, '?environment=prod');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'already-applied', signedBy: null, deployment: { environment: 'prod', changed: true } });
    expect(await serving()).toBe('r1');
    // A GoRules zip of what is already here makes a release of the same versions: nothing new to save.
    const same = await apply(await goRulesZip(expressionGraph({ marker: "'c1'" })), deployer, '?label=same&environment=prod');
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({ status: 'applied', decisions: { saved: 0, unchanged: 1 }, deployment: { changed: true } });
  });

  it('refuses an unsigned GoRules zip that would change a live rule (the reported case)', async () => {
    const before = await rowCounts(target.db.sql);
    const res = await apply(await goRulesZip(expressionGraph({ marker: "'hacked'" })), deployer, '?label=hotfix&environment=prod');
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body).toMatchObject({ code: 'forbidden', permission: 'decision:write', decisions: ['child'] });
    expect(await rowCounts(target.db.sql)).toEqual(before);
    expect(await serving()).toBe('same');
  });

  it('lets it apply and deploy new content that a trusted key signed', async () => {
    await dev.request('PUT', '/api/projects/pricing/decisions/child', { body: { content: expressionGraph({ marker: "'c2'" }) } });
    await dev.request('POST', '/api/projects/pricing/releases', { body: { label: 'r2' } });
    const zip = (await dev.request('GET', '/api/projects/pricing/releases/r2/package')).body as Buffer;
    const build = await import('../../src/control-plane/packages/build.js');
    const res = await apply(await build.signPackage(zip, loadPrivateKey(trusted.privateKey)), deployer, '?environment=prod');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'applied', decisions: { saved: 1 }, signedBy: trusted.keyId, deployment: { changed: true } });
    expect(await serving()).toBe('r2');
  });

  it('lets an editor apply new content but not deploy it', async () => {
    const zip = await goRulesZip(expressionGraph({ marker: "'c3'" }));
    const deploying = await apply(zip, editor, '?label=by-editor&environment=prod');
    expect(deploying.status).toBe(403);
    expect(deploying.body).toMatchObject({ code: 'forbidden', role: 'editor', permission: 'deploy' });
    const res = await apply(zip, editor, '?label=by-editor');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'applied', decisions: { saved: 1 }, deployment: null });
    expect(await serving()).toBe('r2');
  });
});

describe('GoRules interoperability', () => {
  let server: TestServer;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'verdict-gorules-'));
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'imported' } });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('imports a release zip downloaded from GoRules BRMS', async () => {
    const config = { version: '1', project: { id: 'p-1', key: 'shipping', name: 'Shipping Rules' }, accessTokens: ['plain-token'], release: { id: 'r-1', version: '1.4.0' } };
    const zip = await rawZip([
      { name: '.config/project.json', data: Buffer.from(JSON.stringify(config)) },
      { name: 'rules/shipping.json', data: Buffer.from(JSON.stringify(readCorpus('graphs', 'decision-table-shipping.json'))) },
      { name: 'rules/loans', data: Buffer.from(JSON.stringify(readCorpus('graphs', 'loan-approval.json'))) },
      { name: 'rules/loans.test', data: Buffer.from(JSON.stringify({ contentType: 'test', filePath: 'rules/loans', testCases: [] })) },
    ]);
    writeFileSync(path.join(work, 'gorules.zip'), zip);
    const res = await runCli(['--json', 'release', 'import', 'gorules.zip', '--project', 'imported', '--label', '1.4.0'], { url: server.url, token: server.adminToken, cwd: work });
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ status: 'applied', release: { label: '1.4.0' }, decisions: { saved: 2 }, signedBy: null, source: 'GoRules export' });
    const release = (await server.request('GET', '/api/projects/imported/releases/1.4.0')).body;
    expect(release.decisions.map((d: any) => d.key)).toEqual(['rules/loans', 'rules/shipping']);
  });

  it("exports for the GoRules Agent, with tokens only when asked for", async () => {
    await server.request('POST', '/api/projects/imported/environments', { body: { key: 'prod' } });
    const plain = await runCli(['release', 'export', '--project', 'imported', '--release', 'latest', '--format', 'agent', '-o', 'imported.zip'], {
      url: server.url,
      token: server.adminToken,
      cwd: work,
    });
    expect(plain.stdout).toMatch(/no \.config \(the agent will admit every request\)/);
    expect([...(await readZip(readFileSync(path.join(work, 'imported.zip')))).keys()].sort()).toEqual(['rules/loans.json', 'rules/shipping.json']);

    const withToken = await runCli(
      ['release', 'export', '--project', 'imported', '--release', 'latest', '--format', 'agent', '--access-token', 'agent-secret', '-o', 'agent.zip'],
      { url: server.url, token: server.adminToken, cwd: work },
    );
    expect(withToken.code).toBe(0);
    const files = await readZip(readFileSync(path.join(work, 'agent.zip')));
    const config = JSON.parse(files.get('.config/project.json')!.toString());
    expect(config).toMatchObject({ version: '1', project: { id: 'imported', key: 'imported' }, accessTokens: ['agent-secret'], release: { version: '1.4.0' } });
    expect(files.has(MANIFEST_FILE)).toBe(false);
  });
});
