import { spawn } from 'node:child_process';
import { closeSync, existsSync, fchmodSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pgOsUser, type PgOsUser } from '../local-pg/os-user.js';
import { childrenOf, isAlive } from '../local-pg/pids.js';

export type LabProcessKind = 'etcd' | 'patroni' | 'haproxy' | 'verdict';

/** One process the lab started: enough to stop it from another process after a crash of this one. */
export interface LabProcessRecord {
  readonly name: string;
  readonly kind: LabProcessKind;
  /** Also its process group id: every process starts a session and group of its own. */
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly startedAt: string;
}

export interface StartSpec {
  readonly name: string;
  readonly kind: LabProcessKind;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** Added to the lab's base environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Run as the lab user (default); false keeps our identity (Verdict nodes). */
  readonly asLabUser?: boolean;
}

/**
 * System paths only: no pyenv or virtualenv shims ahead of /usr/bin, so Debian's patroni (whose
 * scripts start with #!/usr/bin/python3) and the Python it spawns for PostgreSQL run the system
 * Python with its python3-* modules.
 */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Starts the lab's processes and stops them by pid. Each runs detached: a session and process
 * group of its own (a Ctrl-C in our terminal does not reach it; stopping it signals the whole
 * group, helpers included), output appended to its log file. Every start is recorded in
 * `<root>/pids.json` before this returns, so `stopAll` here, or `cleanupLab` from another process
 * after this one died, finds everything. Nothing is ever stopped by name (pkill), only by the
 * pids recorded or, for PostgreSQL, the pid in its data folder's postmaster.pid.
 *
 * PostgreSQL servers are Patroni's children only briefly: Patroni starts each postmaster in a
 * session of its own (patroni/postgresql/postmaster.py, setsid), which init then adopts. Stopping
 * Patroni (SIGTERM) stops its PostgreSQL first; a postmaster still running after that (Patroni was
 * killed) is killed through postmaster.pid, with its backends (each leads a session of its own).
 */
export class LabProcesses {
  readonly #file: string;

  constructor(
    readonly root: string,
    readonly user: PgOsUser = pgOsUser(),
  ) {
    this.#file = path.join(root, 'pids.json');
  }

  records(): LabProcessRecord[] {
    return readRecords(this.#file);
  }

  record(name: string): LabProcessRecord {
    const found = this.records().find((r) => r.name === name);
    if (!found) throw new Error(`the Patroni lab started no process named ${name}`);
    return found;
  }

  start(spec: StartSpec): LabProcessRecord {
    if (this.records().some((r) => r.name === spec.name && isAlive(r.pid))) throw new Error(`${spec.name} is already running`);
    mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const log = openSync(spec.logFile, 'a', 0o600);
    fchmodSync(log, 0o600);
    const asLabUser = (spec.asLabUser ?? true) && this.user.switchUser;
    const home = path.join(this.root, 'home');
    let pid: number | undefined;
    try {
      const child = spawn(spec.command, [...spec.args], {
        detached: true,
        stdio: ['ignore', log, log],
        cwd: existsSync(home) ? home : this.root,
        env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: home, ...spec.env },
        ...(asLabUser ? { uid: this.user.uid, gid: this.user.gid } : {}),
      });
      child.on('error', () => undefined); // reported below as "did not start"; nothing else listens
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(log);
    }
    if (pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command} (see ${spec.logFile})`);
    const record: LabProcessRecord = { name: spec.name, kind: spec.kind, pid, command: spec.command, args: [...spec.args], logFile: spec.logFile, startedAt: new Date().toISOString() };
    this.#write([...this.records().filter((r) => r.name !== spec.name), record]);
    return record;
  }

  /** Whether a started process (the group's leader) is still there. */
  isRunning(name: string): boolean {
    const record = this.records().find((r) => r.name === name);
    return record !== undefined && isAlive(record.pid);
  }

  /** SIGTERM to the process group, SIGKILL to what is left after `graceMs`; resolves once the group is empty. */
  async stop(name: string, graceMs = 15_000): Promise<void> {
    const record = this.records().find((r) => r.name === name);
    if (!record) return;
    await stopGroup(record.pid, graceMs);
    this.#write(this.records().filter((r) => r.name !== name));
  }

  /** `kill -9` of the whole group at once: a crash, not a stop (the fault the tests inject). */
  kill(name: string): void {
    signalGroup(this.record(name).pid, 'SIGKILL');
  }

  /**
   * Stops everything this lab started, newest kind first (Verdict nodes, HAProxy, Patroni, then
   * etcd, which Patroni needs to hand over its lock cleanly), then kills any PostgreSQL still
   * running in a planned data folder. Returns what had to be killed rather than stopped.
   */
  async stopAll(dataDirs: readonly string[], graceMs = 15_000): Promise<string[]> {
    const order: LabProcessKind[] = ['verdict', 'haproxy', 'patroni', 'etcd'];
    const killed: string[] = [];
    for (const kind of order) {
      const group = this.records().filter((r) => r.kind === kind);
      await Promise.all(
        group.map(async (r) => {
          if (!(await stopGroup(r.pid, graceMs))) killed.push(`${r.name} (pid ${r.pid})`);
        }),
      );
      this.#write(this.records().filter((r) => r.kind !== kind));
      if (kind === 'patroni') killed.push(...killPostmasters(dataDirs));
    }
    return killed;
  }

  #write(records: readonly LabProcessRecord[]): void {
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.#file);
  }
}

function readRecords(file: string): LabProcessRecord[] {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabProcessRecord[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Signals a process group; false when it is already gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Live (not zombie) processes whose process group is `pgid`, from /proc. */
export function groupMembers(pgid: number, proc = '/proc'): number[] {
  const members: number[] = [];
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(readFileSync(path.join(proc, entry, 'stat'), 'utf8'));
      if (stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return members;
}

/** `/proc/<pid>/stat`: "pid (comm) state ppid pgrp ...", where comm may hold spaces and parentheses. */
export function parseStat(stat: string): { readonly state: string; readonly ppid: number; readonly pgrp: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

/** True when the group ended within the grace period, false when it had to be SIGKILLed. */
async function stopGroup(pgid: number, graceMs: number): Promise<boolean> {
  if (!signalGroup(pgid, 'SIGTERM')) return true;
  const deadline = Date.now() + graceMs;
  while (groupMembers(pgid).length > 0) {
    if (Date.now() > deadline) {
      signalGroup(pgid, 'SIGKILL');
      for (let i = 0; i < 100 && groupMembers(pgid).length > 0; i++) await sleep(20);
      return false;
    }
    await sleep(50);
  }
  return true;
}

/** The postmaster running on a data folder, from its postmaster.pid, if alive. */
export function postmasterOf(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `kill -9` of a PostgreSQL server: its backends first (each leads a session of its own, and one
 * that survives its postmaster can still finish a commit), then the postmaster. Returns what was killed.
 */
export function killPostgres(dataDir: string): number[] {
  const postmaster = postmasterOf(dataDir);
  if (postmaster === undefined) return [];
  const victims = [...childrenOf(postmaster), postmaster];
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return victims;
}

function killPostmasters(dataDirs: readonly string[]): string[] {
  return dataDirs.flatMap((dir) => {
    const killed = killPostgres(dir);
    return killed.length > 0 ? [`PostgreSQL in ${dir} (pid ${killed.at(-1)}, left running after Patroni stopped)`] : [];
  });
}
