import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import postgres from 'postgres';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, isAlive } from '../src/local-pg/index.js';
import { corpusPath } from './helpers/corpus.js';

const BIN = fileURLToPath(new URL('../bin/verdict.js', import.meta.url));

interface Served {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** `verdict serve` as a user runs it: the built binary, no DATABASE_URL, in an empty folder. */
function serve(cwd: string, env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const served: Served = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', resolve)) };
  child.stdout!.on('data', (d: Buffer) => (served.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (served.stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${served.stderr}\n${served.stdout}`)), 60_000);
    child.stderr!.on('data', () => {
      if (served.stderr.includes('Verdict is listening on')) {
        clearTimeout(timer);
        resolve(served);
      }
    });
    void served.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${served.stderr}\n${served.stdout}`));
    });
  });
}

function verdict(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const postgresPid = (logs: string): number => Number(/embedded PostgreSQL \(pid (\d+)\)/.exec(logs)?.[1]);

describe('verdict serve with the embedded database (new-user flow)', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'verdict-e2e-'));
  chmodSync(cwd, 0o755);
  const started: Served[] = [];

  afterAll(async () => {
    for (const s of started) {
      if (s.child.exitCode === null) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
      const pid = postgresPid(s.stdout);
      if (pid && isAlive(pid)) process.kill(pid, 'SIGQUIT');
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts from nothing, keeps everything across a restart, and stops its Postgres', async () => {
    const port = String(await freePort());
    const url = `http://127.0.0.1:${port}`;
    const first = await serve(cwd, { PORT: port });
    started.push(first);
    const token = /export VERDICT_TOKEN=(vrd_api_\S+)/.exec(first.stderr)?.[1];
    expect(token).toBeDefined();
    const env = { VERDICT_URL: url, VERDICT_TOKEN: token! };

    expect((await verdict(['project', 'create', 'demo'], env)).stdout).toBe('created project demo\n');
    expect((await verdict(['decision', 'push', corpusPath('graphs', 'decision-table-shipping.json'), '--project', 'demo', '--key', 'shipping'], env)).code).toBe(0);
    expect((await verdict(['release', 'create', '--project', 'demo'], env)).stdout).toMatch(/^created release v1/);
    expect((await verdict(['env', 'create', 'prod', '--project', 'demo'], env)).code).toBe(0);
    expect((await verdict(['deploy', '--project', 'demo', '--env', 'prod', '--release', 'v1'], env)).stdout).toMatch(/^deployed prod to v1/);
    const evalToken = JSON.parse((await verdict(['--json', 'token', 'create', '--project', 'demo', '--env', 'prod'], env)).stdout);
    expect(evalToken.token).toMatch(/^vrd_eval_/);

    // The embedded cluster asks for a password even on loopback; only this user can read it.
    const passwordFile = path.join(cwd, '.verdict', 'pg.password');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const pgPort = Number(/embedded PostgreSQL \(pid \d+\) listening on 127\.0\.0\.1:(\d+)/.exec(first.stdout)?.[1]);
    const intruder = postgres({ host: '127.0.0.1', port: pgPort, user: 'postgres', database: 'verdict', max: 1, connect_timeout: 5 });
    await expect(intruder`SELECT 1`).rejects.toThrow(/password/);
    await intruder.end();

    const pgPid = postgresPid(first.stdout);
    expect(isAlive(pgPid)).toBe(true);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(isAlive(pgPid)).toBe(false);

    // Restart with VERDICT_ADMIN_TOKEN: no new token is generated, the data is all there.
    const configured = 'vrd_api_e2e-configured-admin-token-0123456789';
    const second = await serve(cwd, { PORT: port, VERDICT_ADMIN_TOKEN: configured });
    started.push(second);
    expect(second.stderr).not.toMatch(/export VERDICT_TOKEN/);
    const envs = await verdict(['--json', 'env', 'list', '--project', 'demo'], env);
    expect(JSON.parse(envs.stdout)[0].current.releaseLabel).toBe('v1');
    const tokens = JSON.parse((await verdict(['--json', 'token', 'list', '--project', 'demo', '--env', 'prod'], { ...env, VERDICT_TOKEN: configured })).stdout);
    expect(tokens.map((t: any) => t.id)).toEqual([evalToken.id]);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(isAlive(postgresPid(second.stdout))).toBe(false);
  });
});
