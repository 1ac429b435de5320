import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, readFileSync, appendFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { binary, findPgBinaries, tool, type PgBinaries } from './binaries.js';
import { pgOsUser, unreachableParent, type PgOsUser } from './os-user.js';
import { freePort, isPortFree } from './ports.js';
import { isAlive } from './pids.js';
import { fileSize, tail } from './log-tail.js';
import { LocalPgError } from './errors.js';
import { inNamespace, trustNetwork, type SpawnIdentity } from './network.js';

export type StopMode = 'smart' | 'fast' | 'immediate';

const STOP_SIGNAL: Record<StopMode, NodeJS.Signals> = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };

export interface ClusterOptions {
  /** Data directory. */
  readonly dir: string;
  readonly host?: string;
  /** Port to listen on; a free one is picked at start when omitted. */
  readonly port?: number;
  /** fsync and full-page writes on (default). Tests turn this off for speed; never for real data. */
  readonly durable?: boolean;
  /** Extra postgresql.conf settings written at init. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  readonly binaries?: PgBinaries;
  /** Server log; defaults to `<dir>.log` next to the data directory. */
  readonly logFile?: string;
  readonly startTimeoutMs?: number;
  /**
   * Superuser password. With it, initdb sets scram-sha-256 authentication and the URL carries the
   * password; without it, loopback connections are trusted (fine for throw-away test clusters).
   */
  readonly password?: string;
  /**
   * A network to trust besides loopback (a CIDR such as 10.213.7.0/24), for clusters listening on
   * an address of their own. Only without a password: the lab's throw-away networks.
   */
  readonly trustNetwork?: string;
  /** Runs the server inside this network namespace (`ip netns` name); needs root. */
  readonly netns?: string;
}

interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * A PostgreSQL cluster on loopback that this process creates, starts and stops: the embedded
 * default behind `npm start`, the tests' servers, and the primaries and standbys of the lab.
 */
export class LocalPgCluster {
  readonly dir: string;
  readonly host: string;
  readonly logFile: string;
  readonly bins: PgBinaries;
  readonly user: PgOsUser;
  #port: number | undefined;
  #child: ChildProcess | undefined;
  #exited = false;
  readonly #options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.dir = path.resolve(options.dir);
    this.host = options.host ?? '127.0.0.1';
    this.#port = options.port;
    this.logFile = options.logFile ?? `${this.dir}.log`;
    this.bins = options.binaries ?? findPgBinaries();
    this.user = pgOsUser();
    const blocked = unreachableParent(this.dir, this.user);
    if (blocked) {
      throw new LocalPgError(
        `the '${this.user.name}' OS user cannot reach ${this.dir}: ${blocked.path} has mode ${blocked.mode}; ` +
          'choose a data directory outside it (see resolveDataDir)',
      );
    }
  }

  get port(): number {
    if (this.#port === undefined) throw new LocalPgError(`cluster ${this.dir} has no port yet; start it first`);
    return this.#port;
  }

  /** Connection URL for the superuser (trust authentication on loopback). */
  url(database = 'postgres'): string {
    return this.roleUrl('postgres', this.#options.password, database);
  }

  /** Connection URL for a role of this cluster. */
  roleUrl(role: string, password: string | undefined, database = 'postgres'): string {
    const auth = password === undefined ? encodeURIComponent(role) : `${encodeURIComponent(role)}:${encodeURIComponent(password)}`;
    return `postgres://${auth}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  isInitialized(): boolean {
    return existsSync(path.join(this.dir, 'PG_VERSION'));
  }

  /** Runs initdb. Refuses a non-empty directory that is not a cluster. */
  async init(): Promise<void> {
    if (this.isInitialized()) throw new LocalPgError(`${this.dir} already holds a cluster`);
    if (existsSync(this.dir) && readdirSync(this.dir).length > 0) {
      throw new LocalPgError(`${this.dir} is not empty and holds no PostgreSQL cluster; refusing to initialise it`);
    }
    this.#prepareDir(this.dir);
    const args = ['-D', this.dir, '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-instructions'];
    const pwfile = `${this.dir}.pwfile`;
    if (this.#options.password === undefined) {
      args.push('--auth=trust');
    } else {
      writeFileSync(pwfile, `${this.#options.password}\n`, { mode: 0o600 });
      if (this.user.switchUser) chownSync(pwfile, this.user.uid, this.user.gid);
      args.push('--auth=scram-sha-256', `--pwfile=${pwfile}`);
    }
    let result: RunResult;
    try {
      result = await this.#run(binary(this.bins, 'initdb'), args);
    } finally {
      rmSync(pwfile, { force: true });
    }
    if (result.code !== 0) throw new LocalPgError(`initdb failed for ${this.dir}:\n${result.output.trim()}`);
    this.#appendSettings(this.#baseSettings());
    if (this.#options.trustNetwork !== undefined && this.#options.password === undefined) trustNetwork(this.dir, this.#options.trustNetwork);
  }

  /** Starts the server and waits until it accepts connections (primary) or reaches consistency (standby). */
  async start(): Promise<void> {
    if (!this.isInitialized()) throw new LocalPgError(`${this.dir} holds no cluster; run init first`);
    const running = this.runningPid();
    if (running !== undefined) {
      throw new LocalPgError(`a postmaster (pid ${running}) is already running on ${this.dir}`);
    }
    for (let attempt = 1; ; attempt++) {
      if (this.#options.port === undefined && (this.#port === undefined || !(await isPortFree(this.#port, this.host)))) {
        this.#port = await freePort(this.host);
      }
      try {
        await this.#spawnAndWait();
        return;
      } catch (error) {
        // Another process may have taken the port between picking and binding it.
        const portTaken = error instanceof LocalPgError && /could not bind|Address already in use/i.test(error.message);
        if (!portTaken || this.#options.port !== undefined || attempt >= 3) throw error;
        this.#port = undefined;
      }
    }
  }

  /** Adopts a postmaster already running on this directory (e.g. after a crash of our process). */
  adoptRunning(): number | undefined {
    const pid = this.runningPid();
    const port = Number(this.#pidFileLines()?.[3]);
    if (pid !== undefined && Number.isInteger(port) && port > 0) this.#port = port;
    return pid;
  }

  /** PID of a live postmaster on this directory that says it is ready for connections. */
  readyPid(): number | undefined {
    return this.#pidFileLines()?.[7]?.trim() === 'ready' ? this.runningPid() : undefined;
  }

  /** PID of the postmaster on this directory if one is alive. */
  runningPid(): number | undefined {
    const pid = Number(this.#pidFileLines()?.[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return isAlive(pid) ? pid : undefined;
  }

  /** Stops the server by PID and waits for it to exit. */
  async stop(mode: StopMode = 'fast', timeoutMs = 30_000): Promise<void> {
    const pid = this.#child?.pid !== undefined && !this.#exited ? this.#child.pid : this.runningPid();
    if (pid === undefined) return;
    try {
      process.kill(pid, STOP_SIGNAL[mode]);
    } catch {
      return; // already gone
    }
    const deadline = Date.now() + timeoutMs;
    while (this.#alive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        throw new LocalPgError(`postgres (pid ${pid}) did not stop within ${timeoutMs} ms; killed it`);
      }
      await sleep(20);
    }
  }

  /** Removes the data directory and log. The server must be stopped. */
  destroy(): void {
    if (this.runningPid() !== undefined) throw new LocalPgError(`refusing to delete ${this.dir}: server still running`);
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.logFile, { force: true });
  }

  /**
   * Makes a streaming standby of this (running) cluster in `dir` with pg_basebackup: a physical
   * replication slot keeps the WAL it needs, and -R writes primary_conninfo and standby.signal.
   */
  async createStandby(options: Omit<ClusterOptions, 'binaries'> & { slot: string; createSlot?: boolean }): Promise<LocalPgCluster> {
    const standby = new LocalPgCluster({ ...options, binaries: this.bins });
    if (existsSync(standby.dir) && readdirSync(standby.dir).length > 0) {
      throw new LocalPgError(`${standby.dir} is not empty; refusing to put a base backup there`);
    }
    if (!/^[a-z0-9_]{1,63}$/.test(options.slot)) {
      throw new LocalPgError(`invalid replication slot name '${options.slot}' (lower-case letters, digits, _)`);
    }
    const basebackup = tool(this.bins, 'pg_basebackup');
    standby.#prepareDir(standby.dir);
    const args = [
      '-h', this.host, '-p', String(this.port), '-U', 'postgres', '-D', standby.dir,
      '-R', '-X', 'stream', '-S', options.slot, '--checkpoint=fast', '--no-password',
    ];
    if (options.createSlot ?? true) args.push('-C');
    const result = await this.#run(basebackup, args);
    if (result.code !== 0) throw new LocalPgError(`pg_basebackup failed:\n${result.output.trim()}`);
    return standby;
  }

  /**
   * Settings for a stopped cluster in postgresql.auto.conf, where ALTER SYSTEM writes (later
   * lines win): e.g. a standby's primary_conninfo after pg_basebackup -R or pg_rewind -R.
   */
  setAutoConf(settings: Readonly<Record<string, string>>): void {
    const lines = Object.entries(settings).map(([k, v]) => `${k} = '${v.replaceAll("'", "''")}'`);
    appendFileSync(path.join(this.dir, 'postgresql.auto.conf'), `${lines.join('\n')}\n`);
  }

  /** Runs a Postgres client binary (psql, pg_rewind...) as the Postgres OS user. */
  runTool(name: string, args: readonly string[]): Promise<RunResult> {
    return this.#run(tool(this.bins, name), args);
  }

  // --- internals ---

  #baseSettings(): Record<string, string | number | boolean> {
    const durable = this.#options.durable ?? true;
    return {
      listen_addresses: this.host,
      // TCP only: socket paths have a 107-byte limit and /var/run/postgresql may not exist.
      unix_socket_directories: '',
      wal_level: 'replica',
      max_wal_senders: 10,
      max_replication_slots: 10,
      hot_standby: true,
      hot_standby_feedback: true,
      wal_log_hints: true, // lets pg_rewind turn an old primary into a standby
      shared_buffers: '64MB',
      max_connections: 100,
      ...(durable ? {} : { fsync: false, full_page_writes: false, synchronous_commit: 'off' }),
      ...this.#options.settings,
    };
  }

  #appendSettings(settings: Record<string, string | number | boolean>): void {
    const lines = Object.entries(settings).map(([k, v]) => {
      const value = typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
      return `${k} = ${value}`;
    });
    appendFileSync(path.join(this.dir, 'postgresql.conf'), `\n# --- written by Verdict local-pg ---\n${lines.join('\n')}\n`);
  }

  #prepareDir(dir: string): void {
    mkdirSync(path.dirname(dir), { recursive: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (this.user.switchUser) chownSync(dir, this.user.uid, this.user.gid);
  }

  #pidFileLines(): string[] | undefined {
    try {
      return readFileSync(path.join(this.dir, 'postmaster.pid'), 'utf8').split('\n');
    } catch {
      return undefined;
    }
  }

  #alive(pid: number): boolean {
    if (this.#child?.pid === pid) return !this.#exited;
    return isAlive(pid);
  }

  async #spawnAndWait(): Promise<void> {
    mkdirSync(path.dirname(this.logFile), { recursive: true });
    const logFd = openSync(this.logFile, 'a', 0o600);
    // The server log names users, databases and failed statements: for this user only (older
    // versions left it 644). Postgres writes through the descriptor it inherits.
    fchmodSync(logFd, 0o600);
    const logStart = fileSize(this.logFile);
    let child: ChildProcess;
    const [command, args, identity] = inNamespace(binary(this.bins, 'postgres'), ['-D', this.dir, '-p', String(this.port)], this.#spawnIdentity(), this.#options.netns);
    try {
      child = spawn(command, args, {
        ...identity,
        // Own process group: Ctrl-C in a terminal reaches us, and we stop Postgres in order.
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    this.#child = child;
    this.#exited = false;
    // Per child: a postmaster killed earlier may be reaped only now; its exit is not this one's.
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.#child === child) this.#exited = true;
    });
    child.unref();
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (exited) {
        throw new LocalPgError(`postgres exited during start-up (see ${this.logFile}):\n${tail(this.logFile, logStart)}`);
      }
      const lines = this.#pidFileLines();
      if (lines && Number(lines[0]) === child.pid && lines[7]?.trim() === 'ready') return;
      if (Date.now() > deadline) {
        await this.stop('immediate').catch(() => undefined);
        throw new LocalPgError(`postgres did not become ready in time (see ${this.logFile}):\n${tail(this.logFile, logStart)}`);
      }
      await sleep(25);
    }
  }

  #spawnIdentity(): SpawnIdentity {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C',
      LC_ALL: 'C',
      HOME: this.dir,
      ...(this.#options.password === undefined ? {} : { PGPASSWORD: this.#options.password }),
      ...this.bins.env,
    };
    const cwd = existsSync(this.dir) ? this.dir : '/';
    return this.user.switchUser ? { uid: this.user.uid, gid: this.user.gid, cwd, env } : { cwd, env };
  }

  #run(command: string, args: readonly string[]): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { ...this.#spawnIdentity(), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, output }));
    });
  }
}
