import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import postgres from 'postgres';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, isAlive } from '../../src/local-pg/index.js';
import { corpusPath } from '../helpers/corpus.js';
import { waitFor } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));

interface Served {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** Every `verdict serve` a test started, and its data folder: stopped and removed after all. */
const started: Served[] = [];
const folders: string[] = [];

/** An empty folder the postgres OS user can enter (mkdtemp makes 700). */
function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'verdict-e2e-'));
  chmodSync(dir, 0o755);
  folders.push(dir);
  return dir;
}

/** `verdict serve` as a user runs it: the built binary, no DATABASE_URL. Own process group, so cleanup can stop all of it. */
function spawnServe(cwd: string, env: Record<string, string>): Served {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const served: Served = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', resolve)) };
  child.stdout!.on('data', (d: Buffer) => (served.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (served.stderr += d.toString()));
  started.push(served);
  return served;
}

/** Resolves once it listens; fails if it exits first. */
async function serve(cwd: string, env: Record<string, string>): Promise<Served> {
  const served = spawnServe(cwd, env);
  let exitCode: number | null | undefined;
  void served.exited.then((code) => (exitCode = code));
  await waitFor(
    'verdict serve to listen',
    () => {
      if (exitCode !== undefined) throw new Error(`serve exited with ${exitCode}:\n${served.stderr}\n${served.stdout}`);
      return served.stderr.includes('Verdict is listening on');
    },
    90_000,
  );
  return served;
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

/** Every postmaster a serve logged, in order: the first start and any restart. */
const postgresPids = (logs: string): number[] => [...new Set([...logs.matchAll(/embedded PostgreSQL (?:restarted )?\(pid (\d+)\)/g)].map((m) => Number(m[1])))];
const postgresPid = (logs: string): number => postgresPids(logs)[0]!;
/** The URL `verdict serve` says it listens on (the port it took). */
const listeningUrl = (served: Served): string => /Verdict is listening on (http:\/\/\S+) /.exec(served.stderr)![1]!;
const adminToken = (served: Served): string | undefined => /export VERDICT_TOKEN=(vrd_api_\S+)/.exec(served.stderr)?.[1];
const pgPassword = (cwd: string): string => readFileSync(path.join(cwd, '.verdict', 'pg.password'), 'utf8').trim();
const pgPort = (served: Served): number => Number(/embedded PostgreSQL \(pid \d+\) listening on 127\.0\.0\.1:(\d+)/.exec(served.stdout)?.[1]);
const asRoot = process.getuid?.() === 0;

function postmasterPid(cwd: string): number | undefined {
  try {
    return Number(readFileSync(path.join(cwd, '.verdict', 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}
// Each test starts real servers with their own cluster (initdb, fsync on): minutes on a busy machine.
const E2E_TIMEOUT_MS = 600_000;

afterAll(async () => {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      process.kill(-s.child.pid!, 'SIGTERM');
      const stopped = await Promise.race([s.exited.then(() => true), new Promise((resolve) => setTimeout(resolve, 30_000, false))]);
      if (!stopped) process.kill(-s.child.pid!, 'SIGKILL');
    }
    // Postgres runs in its own process group; a serve that died cannot stop it.
    for (const pid of postgresPids(s.stdout)) if (isAlive(pid)) process.kill(pid, 'SIGQUIT');
  }
  for (const dir of folders) {
    const pid = postmasterPid(dir);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('verdict serve with the embedded database (new-user flow)', () => {
  const cwd = folder();

  it('starts from nothing, keeps everything across a restart, and stops its Postgres', async () => {
    // PORT=0: the server takes a port the moment it listens. A port chosen beforehand can be taken
    // by another process in the seconds the embedded cluster needs to start (seen on a busy machine).
    const first = await serve(cwd, { PORT: '0' });
    const url = listeningUrl(first);
    const token = adminToken(first);
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
    const intruder = postgres({ host: '127.0.0.1', port: pgPort(first), user: 'postgres', database: 'verdict', max: 1, connect_timeout: 5 });
    await expect(intruder`SELECT 1`).rejects.toThrow(/password/);
    await intruder.end();

    const pgPid = postgresPid(first.stdout);
    expect(isAlive(pgPid)).toBe(true);
    process.kill(first.child.pid!, 'SIGTERM');
    expect(await first.exited).toBe(0);
    expect(isAlive(pgPid)).toBe(false);

    // Restart with VERDICT_ADMIN_TOKEN: no new token is generated, the data is all there.
    const configured = 'vrd_api_e2e-configured-admin-token-0123456789';
    const second = await serve(cwd, { PORT: '0', VERDICT_ADMIN_TOKEN: configured });
    expect(second.stderr).not.toMatch(/export VERDICT_TOKEN/);
    env.VERDICT_URL = listeningUrl(second);
    const envs = await verdict(['--json', 'env', 'list', '--project', 'demo'], env);
    expect(JSON.parse(envs.stdout)[0].current.releaseLabel).toBe('v1');
    const tokens = JSON.parse((await verdict(['--json', 'token', 'list', '--project', 'demo', '--env', 'prod'], { ...env, VERDICT_TOKEN: configured })).stdout);
    expect(tokens.map((t: any) => t.id)).toEqual([evalToken.id]);

    process.kill(second.child.pid!, 'SIGINT');
    expect(await second.exited).toBe(0);
    expect(isAlive(postgresPid(second.stdout))).toBe(false);
  }, E2E_TIMEOUT_MS);

  it('keeps the first admin token for a start that works when the port is taken, and says why in one line', async () => {
    const dir = folder();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const failed = spawnServe(dir, { PORT: String(port) });
      expect(await failed.exited).toBe(1);
      expect(failed.stderr).not.toMatch(/VERDICT_TOKEN/);
      expect(failed.stderr).toBe(`verdict: cannot listen on 127.0.0.1:${port}: the address is already in use (another Verdict, or another program); stop it or set PORT or HOST\n`);
      // The embedded Postgres it started is stopped again.
      const pgPid = postgresPid(failed.stdout);
      expect(pgPid).toBeGreaterThan(0);
      expect(isAlive(pgPid)).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const next = await serve(dir, { PORT: String(port) });
    const token = adminToken(next);
    expect(token).toBeDefined();
    expect((await verdict(['whoami'], { VERDICT_URL: `http://127.0.0.1:${port}`, VERDICT_TOKEN: token! })).stdout).toBe('bootstrap admin (admin)\n');
    process.kill(next.child.pid!, 'SIGTERM');
    expect(await next.exited).toBe(0);
  }, E2E_TIMEOUT_MS);
});

describe('verdict serve --topology', () => {
  it('refuses a topology file it cannot use before starting anything, naming the file and the field', async () => {
    const dir = folder();
    const missing = await verdict(['serve', '--topology', path.join(dir, 'missing.yaml')], { VERDICT_DATA_DIR: path.join(dir, '.verdict') });
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe(`verdict: --topology / VERDICT_TOPOLOGY: ${path.join(dir, 'missing.yaml')}: no such file\n`);
    writeFileSync(path.join(dir, 'bad.yaml'), 'regions:\n  - name: eu\n    postgres: {}\n');
    const bad = await verdict(['serve'], { VERDICT_TOPOLOGY: path.join(dir, 'bad.yaml'), VERDICT_DATA_DIR: path.join(dir, '.verdict') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/regions\[0\]\.postgres\.url: missing/);
    // Nothing was started: no embedded cluster was created.
    expect(existsSync(path.join(dir, '.verdict', 'pg'))).toBe(false);
  }, E2E_TIMEOUT_MS);
});

describe('the embedded cluster', () => {
  const cwd = folder();
  let served: Served;
  let env: Record<string, string>;

  it('is used through an owner role without superuser, in a private data folder', async () => {
    const port = String(await freePort());
    served = await serve(cwd, { PORT: port });
    env = { VERDICT_URL: `http://127.0.0.1:${port}`, VERDICT_TOKEN: adminToken(served)! };
    expect((await verdict(['project', 'create', 'owned'], env)).code).toBe(0);

    const dataDir = path.join(cwd, '.verdict');
    // Root runs Postgres as the postgres OS user, which must still reach its cluster in there.
    expect(statSync(dataDir).mode & 0o777).toBe(asRoot ? 0o710 : 0o700);
    expect(statSync(path.join(dataDir, 'pg')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dataDir, 'pg.log')).mode & 0o777).toBe(0o600);

    const superuser = postgres({ host: '127.0.0.1', port: pgPort(served), user: 'postgres', password: pgPassword(cwd), database: 'verdict', max: 1 });
    try {
      const users = await superuser`SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'verdict' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;
      expect(users.map((u) => u.usename)).toEqual(['verdict']);
      const [role] = await superuser`SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = 'verdict'`;
      expect(role).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false });
      const owners = await superuser`SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace`;
      expect(owners.map((o) => o.owner)).toEqual(['verdict']);
    } finally {
      await superuser.end();
    }
  }, E2E_TIMEOUT_MS);

  it('restarts its Postgres when the postmaster dies', async () => {
    const pgPid = postgresPid(served.stdout);
    process.kill(pgPid, 'SIGKILL');
    await waitFor(
      'management calls to work again',
      async () => (await fetch(`${env.VERDICT_URL}/api/projects`, { headers: { authorization: `Bearer ${env.VERDICT_TOKEN}` } })).status === 200,
      60_000,
    );
    expect(served.stdout).toMatch(new RegExp(`embedded PostgreSQL \\(pid ${pgPid}\\) exited unexpectedly; restarting it`));
    const restarted = postgresPids(served.stdout).at(-1)!;
    expect(restarted).not.toBe(pgPid);
    expect(isAlive(restarted)).toBe(true);
    expect((await verdict(['project', 'create', 'after-crash'], env)).code).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('gives up after five restarts in ten minutes, and exits non-zero for a supervisor to act', async () => {
    let exitCode: number | null | undefined;
    void served.exited.then((code) => (exitCode = code));
    for (let killed = 1; killed <= 5; killed++) {
      // The one the last test left running, then each restarted one: the sixth death is one too many.
      const pid = await waitFor(
        'the restarted postmaster',
        () => {
          if (exitCode !== undefined) throw new Error(`serve exited with ${exitCode} after ${killed - 1} kills:\n${served.stderr}`);
          return postgresPids(served.stdout).length === killed + 1 && postgresPids(served.stdout).at(-1);
        },
        60_000,
      );
      process.kill(pid, 'SIGKILL');
    }
    const last = postgresPids(served.stdout).at(-1)!;
    expect(await served.exited).toBe(1);
    expect(served.stderr.trim().split('\n').at(-1)).toBe(
      `verdict: embedded PostgreSQL (pid ${last}) exited again after 5 restarts within 10 minutes; see ${path.join(cwd, '.verdict', 'pg.log')}; stopping (start Verdict again)`,
    );
    expect(postgresPids(served.stdout).every((pid) => !isAlive(pid))).toBe(true);
  }, E2E_TIMEOUT_MS);
});
