import { spawn } from 'node:child_process';
import type { PgOsUser } from '../local-pg/os-user.js';
import type { LabPlan, PatroniMemberPlan } from './plan.js';
import { SYSTEM_PATH } from './processes.js';

/** Where Debian's packages put the programs the lab runs. */
export const PROGRAMS = {
  patroni: '/usr/bin/patroni',
  patronictl: '/usr/bin/patronictl',
  etcd: '/usr/bin/etcd',
  haproxy: '/usr/sbin/haproxy',
  pgbackrest: '/usr/bin/pgbackrest',
} as const;

/** What installs them (the harness runs it when one is missing; ~20 s, no service is started: policy-rc.d / no systemd). */
export const INSTALL = 'apt-get install -y patroni etcd-server haproxy pgbackrest';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a short command to completion (patronictl, pgbackrest, haproxy -c), as the lab user when
 * `user` says so, with the system PATH; killed at `timeoutMs`. Not for servers: those go through
 * LabProcesses, which records their pids.
 */
export function run(command: string, args: readonly string[], options: { user?: PgOsUser; env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const asUser = options.user?.switchUser ? { uid: options.user.uid, gid: options.user.gid } : {};
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...options.env },
      timeout: options.timeoutMs ?? 60_000,
      killSignal: 'SIGKILL',
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...asUser,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `patronictl -c <member's file> ...`: it reads the DCS address and the REST API's credentials from there. */
export function patronictl(plan: LabPlan, member: PatroniMemberPlan, args: readonly string[], user: PgOsUser): Promise<RunResult> {
  return run(PROGRAMS.patronictl, ['-c', member.configFile, ...args], { user, cwd: `${plan.root}/home`, timeoutMs: 120_000 });
}

/**
 * Switchover in a region (`patronictl switchover --leader L --candidate C --force`). In
 * synchronous_mode Patroni 3.0.2 accepts only the synchronous standby as candidate.
 */
export const switchover = (plan: LabPlan, member: PatroniMemberPlan, leader: string, candidate: string, user: PgOsUser) =>
  patronictl(plan, member, ['switchover', '--leader', leader, '--candidate', candidate, '--force'], user);

/**
 * Promotes a standby cluster: one DCS write removes `standby_cluster` and turns synchronous_mode
 * on (region B runs it off while it is a standby cluster; see patroni-config.ts). Patroni then
 * promotes the standby leader itself; nothing calls pg_promote behind its back.
 */
export const promoteStandbyCluster = (plan: LabPlan, member: PatroniMemberPlan, user: PgOsUser) =>
  patronictl(plan, member, ['edit-config', '--force', '--quiet', '-s', 'standby_cluster=null', '-s', 'synchronous_mode=true'], user);

/** `pgbackrest --config=<member's file> --stanza=<stanza> <command>` on that member. */
export const pgbackrest = (plan: LabPlan, member: PatroniMemberPlan, args: readonly string[], user: PgOsUser) =>
  run(PROGRAMS.pgbackrest, [`--config=${member.backrestConfig}`, `--stanza=${plan.stanza}`, ...args], { user, cwd: `${plan.root}/home`, timeoutMs: 600_000 });

/** `haproxy -c -f <file>`: checks a configuration, starts nothing. */
export const haproxyCheck = (file: string) => run(PROGRAMS.haproxy, ['-c', '-f', file], { timeoutMs: 30_000 });

/**
 * `patroni --validate-config <file>` (3.0.2 has it). Its validator also checks the environment:
 * etcd must be reachable, the REST and PostgreSQL ports free, bin_dir complete.
 */
export const patroniValidate = (file: string, user?: PgOsUser) => run(PROGRAMS.patroni, ['--validate-config', file], { ...(user ? { user } : {}), timeoutMs: 60_000 });
