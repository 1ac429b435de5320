import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../src/local-pg/index.js';

const BIN = fileURLToPath(new URL('../../../bin/verdict.js', import.meta.url));
const LOG_TAIL_BYTES = 64 * 1024;

export interface ServerSetup {
  readonly databaseUrl: string;
  /** VERDICT_DATA_DIR (the serving snapshot lives there). */
  readonly dataDir: string;
  /** Extra environment (limits, signing keys). */
  readonly env: Readonly<Record<string, string>>;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * `verdict serve` as a separate process in its own process group (its engine hosts are in it
 * too), on fixed free ports kept across restarts. Whatever it prints is kept as a tail, for the
 * report of a crash.
 */
export class ServerProcess {
  readonly adminToken = `vrd_api_fuzz-${randomBytes(16).toString('hex')}`;
  #port = 0;
  #metricsPort = 0;
  #child: ChildProcess | undefined;
  #exit: Exit | undefined;
  #exited: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  #tail = '';
  starts = 0;

  constructor(private readonly setup: ServerSetup) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get metricsPort(): number {
    return this.#metricsPort;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Undefined while it runs; how it ended once it has. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  get alive(): boolean {
    return this.#child !== undefined && this.#exit === undefined;
  }

  /** The last lines the server printed (stdout and stderr). */
  get logTail(): string {
    return this.#tail;
  }

  async start(timeoutMs = 90_000): Promise<void> {
    if (this.alive) throw new Error('the server is already running');
    if (this.#port === 0) {
      this.#port = await freePort();
      this.#metricsPort = await freePort();
    }
    this.#tail = '';
    this.#exit = undefined;
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...(process.env.VERDICT_PG_BIN ? { VERDICT_PG_BIN: process.env.VERDICT_PG_BIN } : {}),
        DATABASE_URL: this.setup.databaseUrl,
        VERDICT_DATA_DIR: this.setup.dataDir,
        VERDICT_ADMIN_TOKEN: this.adminToken,
        HOST: '127.0.0.1',
        PORT: String(this.#port),
        VERDICT_METRICS_PORT: String(this.#metricsPort),
        // One node id across restarts: the fleet view keeps one row for it.
        VERDICT_NODE_ID: 'fuzz-node',
        LOG_LEVEL: 'warn',
        ...this.setup.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: teardown stops the engine hosts with it
    });
    this.#child = child;
    this.starts++;
    const keep = (d: Buffer) => {
      this.#tail = (this.#tail + d.toString()).slice(-LOG_TAIL_BYTES);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#exit) throw new Error(`verdict serve exited (${describeExit(this.#exit)}) before it listened:\n${this.#tail}`);
      if (await this.live()) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`verdict serve did not answer /health/live within ${timeoutMs} ms:\n${this.#tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** True when /health/live answers 200 within the time given. */
  live(timeoutMs = 2000): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: this.#port, path: '/health/live', agent: false, timeout: timeoutMs }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode === 200));
        res.once('error', () => resolve(false));
      });
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', () => resolve(false));
    });
  }

  /** Stops the whole process group: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.#child;
    if (!child || this.#exit) return;
    signalGroup(child, 'SIGTERM');
    const stopped = await Promise.race([this.#exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, graceMs, false).unref())]);
    if (!stopped) {
      signalGroup(child, 'SIGKILL');
      await this.#exited;
    }
    // Engine hosts left behind by a server that died: same group.
    signalGroup(child, 'SIGKILL');
  }

  /** Synchronous last resort (process exit handlers): kills the group. */
  killNow(): void {
    if (this.#child) signalGroup(this.#child, 'SIGKILL');
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
