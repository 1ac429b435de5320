import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));
const ADMIN_TOKEN = 'shutdown-test-admin-token-0123456789';

/**
 * `verdict serve` stops within VERDICT_SHUTDOWN_TIMEOUT_MS of SIGTERM even when its database stops
 * answering with a request waiting on it (measured before: 48-51 s after failovers, longer than
 * Kubernetes' 30 s grace period).
 */
describe('verdict serve shutdown with the database unreachable', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let child: ChildProcess | undefined;
  let stderr = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(inject('pgAdminUrl'));
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
  });
  afterAll(async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    proxy?.resume();
    await proxy?.stop();
    await db?.drop();
  });

  it('exits within its bound after SIGTERM, a request stuck on the database notwithstanding', async () => {
    const url = db.url.replace(/:\d+\//, `:${proxy.port}/`);
    child = spawn(process.execPath, [BIN, 'serve'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: url,
        PORT: '0',
        VERDICT_ADMIN_TOKEN: ADMIN_TOKEN,
        VERDICT_SHUTDOWN_TIMEOUT_MS: '2000',
        VERDICT_ENGINE_HOSTS: '1',
        VERDICT_ENGINE_SPARE: 'false',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: the cleanup above stops all of it
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const listening = await waitFor('verdict serve to listen', () => {
      if (exitCode !== undefined) throw new Error(`serve exited with ${exitCode}:\n${stderr}`);
      return /Verdict is listening on (\S+) /.exec(stderr)?.[1];
    }, 120_000);

    // The database stops answering (packets dropped), with a request waiting on it.
    proxy.pause();
    const stuck = fetch(`${listening}/api/projects`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).catch((error: unknown) => error);
    await waitFor('the server to query the silent database', () => proxy.swallowed > 0, 30_000);

    process.kill(child.pid!, 'SIGTERM');
    // Well under the 30 s the stuck request and the pools' timeouts would take; 10x the bound for a busy machine.
    const code = await waitFor('serve to exit', () => (exitCode === undefined ? undefined : { code: exitCode }), 20_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`);
    });
    expect(code).toEqual({ code: 0 });
    expect(stdout).toMatch(/"msg":"shutting down"/);
    expect(stdout).toMatch(/shutdown did not finish in time \(VERDICT_SHUTDOWN_TIMEOUT_MS\); exiting now|"msg":"stopped"/);
    await stuck;
  }, 300_000);
});
