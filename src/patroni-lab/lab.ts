import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pgOsUser, unreachableParent, type PgOsUser } from '../local-pg/os-user.js';
import { getClusterFromAny } from '../patroni/client.js';
import { leaderOf } from '../patroni/cluster.js';
import { INSTALL, pgbackrest, PROGRAMS, run, type RunResult } from './commands.js';
import { etcdArgs } from './etcd.js';
import { planFile, writeLabFiles } from './files.js';
import { planLab, primaryRegionPlan, restUrlsOf, type LabPlan, type PatroniMemberPlan, type PlanOptions, type RegionPlan } from './plan.js';
import { kernelPorts } from './ports.js';
import { killPostgres, LabProcesses } from './processes.js';
import { exitedAmong, waitForAllMembers, waitForEtcd, waitForLeader, waitForStatus } from './wait.js';

/**
 * The loopback Patroni lab for the test harness (`npm run test:patroni`, src/patroni-lab/harness/): 3 etcd
 * members, region A's 3-member Patroni cluster in synchronous_mode, region B's standby cluster,
 * HAProxy per region and the global front. Not yet run: written and type-checked while the
 * machine was busy with other measurements; its pure parts have unit tests (test/patroni/).
 *
 * Order matters: etcd first (Patroni needs its DCS), then region A (one member first, so the
 * bootstrap is not a race of three initdbs for the initialize key), its HAProxy (region B's
 * standby leader streams through it), then region B, then the front (its servers are Verdict
 * nodes, which the harness starts between the two). A region A comes up in ~25 s on a 2-core
 * machine, region B in ~7 s.
 */
export interface PatroniLab {
  readonly plan: LabPlan;
  readonly processes: LabProcesses;
  readonly user: PgOsUser;
}

/** Timeouts of a busy 2-core machine, not of an idle one (a 3-member bootstrap took ~7 s idle). */
const START_TIMEOUT_MS = 120_000;

/** Programs the lab needs that are not installed, with what installs them. */
export function missingPrograms(pgBinDir: string): string[] {
  const missing: string[] = Object.values(PROGRAMS).filter((p) => !existsSync(p));
  if (!existsSync(path.join(pgBinDir, 'postgres'))) missing.push(path.join(pgBinDir, 'postgres'));
  return missing.length === 0 ? [] : [...missing, `(${INSTALL}; PostgreSQL 15 from postgresql-15)`];
}

/** Plans a lab in a fresh temporary folder (ports from the kernel) and writes its files. */
export async function createLab(options: Omit<PlanOptions, 'root'> & { readonly root?: string }): Promise<PatroniLab> {
  const root = options.root ?? mkdtempSync(path.join(tmpdir(), 'verdict-patroni-'));
  // mkdtemp makes it 0700; the lab user passes through it (writeLabFiles keeps it 0711).
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o711);
  const user = pgOsUser();
  const blocked = unreachableParent(path.join(root, 'pg'), user);
  if (blocked) throw new Error(`the '${user.name}' OS user cannot reach ${root} (${blocked.path} has mode ${blocked.mode}): choose a folder outside it (TMPDIR)`);
  const plan = await planLab({ ...options, root }, kernelPorts());
  writeLabFiles(plan, user);
  return { plan, processes: new LabProcesses(plan.root, user), user };
}

/** A lab planned earlier, from its plan.json (e.g. to clean up after a harness that died). */
export function openLab(root: string): PatroniLab {
  const plan = JSON.parse(readFileSync(planFile(root), 'utf8')) as LabPlan;
  const user = pgOsUser();
  return { plan, processes: new LabProcesses(plan.root, user), user };
}

export async function startEtcd(lab: PatroniLab): Promise<void> {
  for (const member of lab.plan.etcd) {
    lab.processes.start({ name: member.name, kind: 'etcd', command: PROGRAMS.etcd, args: etcdArgs(lab.plan, member), logFile: member.logFile });
  }
  await waitForEtcd(lab.plan, { timeoutMs: START_TIMEOUT_MS, abortIf: exitedAmong(lab.processes, lab.plan.etcd.map((m) => m.name)) });
}

function startMember(lab: PatroniLab, region: RegionPlan, index: number): string {
  const member = region.members[index]!;
  lab.processes.start({
    name: member.name,
    kind: 'patroni',
    command: PROGRAMS.patroni,
    args: [member.configFile],
    logFile: member.logFile,
    // PostgreSQL inherits it: archive_command and restore_command find this member's pgBackRest file.
    env: { PGBACKREST_CONFIG: member.backrestConfig },
  });
  return member.name;
}

/**
 * Starts a region's Patroni members: the first alone until it leads (it bootstraps with initdb,
 * or as a standby cluster with pg_basebackup from region A), then the others, which clone from it.
 * Resolves when every member runs and, in region A, one is the synchronous standby.
 */
export async function startRegion(lab: PatroniLab, region: RegionPlan): Promise<void> {
  if (region.kind === 'standby') {
    const source = primaryRegionPlan(lab.plan);
    await waitForLeader(source, { timeoutMs: START_TIMEOUT_MS });
    if (lab.plan.standbySource === 'haproxy' && !lab.processes.isRunning(source.haproxy.name)) {
      throw new Error(`${region.name} streams from ${source.name} through ${source.haproxy.name}: start it first`);
    }
  }
  const first = startMember(lab, region, 0);
  await waitForLeader(region, { timeoutMs: START_TIMEOUT_MS, abortIf: exitedAmong(lab.processes, [first]) });
  const names = [first];
  for (let i = 1; i < region.members.length; i++) names.push(startMember(lab, region, i));
  await waitForAllMembers(region, { timeoutMs: START_TIMEOUT_MS, abortIf: exitedAmong(lab.processes, names) });
}

/** Starts a region's HAProxy (or the front, `region` undefined) and waits for its stats page. */
export async function startHaproxy(lab: PatroniLab, region?: RegionPlan): Promise<void> {
  const lb = region ? region.haproxy : lab.plan.front;
  lab.processes.start({ name: lb.name, kind: 'haproxy', command: PROGRAMS.haproxy, args: ['-db', '-f', lb.configFile], logFile: lb.logFile });
  await waitForStatus(`http://${lb.host}:${lb.statsPort}/`, 200, { timeoutMs: 30_000, abortIf: exitedAmong(lab.processes, [lb.name]) });
}

/** Stops everything by pid (see LabProcesses.stopAll); returns what had to be killed. */
export function stopLab(lab: PatroniLab): Promise<string[]> {
  return lab.processes.stopAll(lab.plan.regions.flatMap((r) => r.members.map((m) => m.dataDir)), 30_000);
}

/** Starts a member's Patroni again (after a crash): it rejoins its region, with pg_rewind or a new base backup. */
export function restartMember(lab: PatroniLab, member: PatroniMemberPlan): void {
  const region = lab.plan.regions.find((r) => r.name === member.region)!;
  startMember(lab, region, region.members.indexOf(member));
}

/** `kill -9` of a member: its Patroni first (so it cannot react), then its PostgreSQL with every backend. */
export function crashMember(lab: PatroniLab, member: PatroniMemberPlan): void {
  lab.processes.kill(member.name);
  killPostgres(member.dataDir);
}

/** The member leading the region now (leader, or standby leader), as its members' /cluster says. */
export async function leaderMemberOf(region: RegionPlan): Promise<PatroniMemberPlan> {
  const { cluster } = await getClusterFromAny(restUrlsOf(region), { timeoutMs: 2000 });
  const name = leaderOf(cluster)?.name;
  const member = region.members.find((m) => m.name === name);
  if (!member) throw new Error(`${region.name} has no leader now`);
  return member;
}

/** Fails with the command's output unless it exited 0. */
function succeeded(what: string, result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${`${result.stdout}${result.stderr}`.trim()}`);
  return result;
}

/** pgBackRest's stanza in the region's repository, made through its current leader (before anything is archived there). */
export async function createStanza(lab: PatroniLab, region: RegionPlan): Promise<void> {
  const leader = await leaderMemberOf(region);
  succeeded(`pgbackrest stanza-create on ${leader.name}`, await pgbackrest(lab.plan, leader, ['stanza-create'], lab.user));
}

/** A backup of the region's current leader into its repository. */
export async function backup(lab: PatroniLab, region: RegionPlan, type: 'full' | 'diff' | 'incr' = 'full'): Promise<string> {
  const leader = await leaderMemberOf(region);
  return succeeded(`pgbackrest backup on ${leader.name}`, await pgbackrest(lab.plan, leader, ['backup', `--type=${type}`], lab.user)).stdout;
}

/** Runs SQL on the region's writer (HAProxy /primary) as the superuser, with psql. */
export async function psql(lab: PatroniLab, region: RegionPlan, database: string, sql: string): Promise<string> {
  const url = `postgres://postgres@${region.haproxy.host}:${region.haproxy.writerPort}/${database}`;
  const result = await run(path.join(lab.plan.pgBinDir, 'psql'), ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
    env: { PGPASSWORD: lab.plan.secrets.superuser, PGCONNECT_TIMEOUT: '5' },
    timeoutMs: 60_000,
  });
  return succeeded(`psql on ${region.name}'s writer`, result).stdout.trim();
}

/** The database Verdict nodes migrate and use, made once on region A's leader (it replicates everywhere). */
export const createVerdictDatabase = (lab: PatroniLab): Promise<string> => psql(lab, primaryRegionPlan(lab.plan), 'postgres', 'CREATE DATABASE verdict');
