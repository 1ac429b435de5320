import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../src/control-plane/packages/signing.js';
import { corpusPath } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = path.join(ROOT, 'examples/pipelines/promote.sh');

function run(stage: string, env: Record<string, string>, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT, stage], { cwd, env: { PATH: process.env.PATH!, HOME: cwd, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** The example pipeline, run as CI would run it, against three real instances. */
describe('examples/pipelines/promote.sh: DEV -> STAGING -> PROD 1', () => {
  const key = generateSigningKeys();
  const trustedKeys = new Map([[key.keyId, createPublicKey(key.publicKey)]]);
  let dev: TestServer;
  let staging: TestServer;
  let prod: TestServer;
  let work: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'verdict-pipeline-'));
    chmodSync(work, 0o700);
    writeFileSync(path.join(work, 'signing.key'), key.privateKey, { mode: 0o600 });
    mkdirSync(path.join(work, 'decisions'));
    cpSync(corpusPath('graphs', 'loan-approval.json'), path.join(work, 'decisions', 'loans.json'));
    dev = await startTestServer({ packages: { instanceName: 'dev', signingKey: undefined, trustedKeys: new Map(), requireSigned: false } });
    staging = await startTestServer({ packages: { instanceName: 'staging', signingKey: undefined, trustedKeys, requireSigned: true } });
    prod = await startTestServer({ packages: { instanceName: 'prod-1', signingKey: undefined, trustedKeys, requireSigned: true } });
    // One-time set-up an operator does: the project everywhere, an environment per instance.
    for (const [server, environment] of [[dev, 'dev'], [staging, 'staging'], [prod, 'prod']] as const) {
      await server.request('POST', '/api/projects', { body: { key: 'pricing' } });
      await server.request('POST', '/api/projects/pricing/environments', { body: { key: environment } });
    }
    const stagingAccess = (await staging.request('POST', '/api/projects/pricing/environments/staging/tokens', { body: {} })).body.token;
    env = {
      VERDICT: `${process.execPath} ${path.join(ROOT, 'bin/verdict.js')}`,
      VERDICT_PROJECT: 'pricing',
      DEV_URL: dev.url,
      DEV_TOKEN: await dev.tokenFor('editor'),
      STAGING_URL: staging.url,
      STAGING_TOKEN: await staging.tokenFor('deployer'),
      PROD_URL: prod.url,
      PROD_TOKEN: await prod.tokenFor('deployer'),
      SIGNING_KEY_FILE: path.join(work, 'signing.key'),
      DECISIONS_DIR: path.join(work, 'decisions'),
      RELEASE_LABEL: '2026.11.25-ci42',
      SMOKE_DECISION: 'loans',
      SMOKE_CONTEXT: JSON.stringify({ creditScore: 685, annualIncome: 72000, monthlyDebt: 1800, monthlyIncome: 6000, employmentYears: 4, employmentStatus: 'full_time', loanAmount: 250000, loanTerm: 30 }),
      STAGING_ACCESS_TOKEN: stagingAccess,
    };
  });
  afterAll(async () => {
    for (const s of [dev, staging, prod]) await s?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('cuts, signs, applies to staging with a smoke test, then to prod, and re-runs safely', async () => {
    const build = await run('build', env, work);
    expect(build.code, build.out).toBe(0);
    expect(build.out).toMatch(/created release 2026\.11\.25-ci42/);
    expect(build.out).toMatch(new RegExp(`signed by ${key.keyId}`));
    expect(existsSync(path.join(work, 'release.zip'))).toBe(true);

    const toStaging = await run('staging', env, work);
    expect(toStaging.code, toStaging.out).toBe(0);
    expect(toStaging.out).toMatch(/applied release 2026\.11\.25-ci42 .*; deployed to staging/);
    expect(toStaging.out).toMatch(/"approval": true/); // the smoke test's result

    const toProd = await run('prod', env, work);
    expect(toProd.code, toProd.out).toBe(0);
    expect(toProd.out).toMatch(/deployed to prod/);

    const source = (await dev.request('GET', '/api/projects/pricing/releases/2026.11.25-ci42')).body;
    for (const target of [staging, prod]) {
      expect((await target.request('GET', '/api/projects/pricing/releases/2026.11.25-ci42')).body).toMatchObject({ id: source.id, contentHash: source.contentHash });
    }
    const serving = (await prod.request('GET', '/api/projects/pricing/environments/prod/serving')).body;
    expect(serving).toMatchObject({ releaseId: source.id, releaseLabel: '2026.11.25-ci42' });

    const again = await run('prod', env, work);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/already applied/);
  }, 180_000);

  it('stops at staging when the package was modified on the way', async () => {
    const zip = path.join(work, 'release.zip');
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(zip);
    writeFileSync(path.join(work, 'modified.zip'), Buffer.concat([bytes.subarray(0, 200), Buffer.from('tampered'), bytes.subarray(208)]));
    const res = await run('staging', { ...env, PACKAGE: 'modified.zip' }, work);
    expect(res.code).toBe(4);
    expect(res.out).toMatch(/package refused/);
  });
});
