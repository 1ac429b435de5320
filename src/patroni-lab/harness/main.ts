import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { lossesBeyondLag } from '../../chaos/accounting.js';
import { createChaosProject, isExpected, isMixed } from '../../chaos/project.js';
import { checkWrites } from '../../drill/check.js';
import { EvaluationLoad } from '../../drill/evaluation-load.js';
import { call } from '../../drill/http.js';
import { servedEverywhere } from '../../drill/served.js';
import { WriteStream } from '../../drill/write-stream.js';
import { findPgBinaries } from '../../local-pg/binaries.js';
import { backup, createLab, createStanza, createVerdictDatabase, missingPrograms, openLab, startEtcd, startHaproxy, startRegion, type PatroniLab } from '../lab.js';
import { DEFAULT_TIMINGS, primaryRegionPlan, SHORT_TIMINGS } from '../plan.js';
import { planFile, topologyFile } from '../files.js';
import { isAlive } from '../../local-pg/pids.js';
import { installLabPackages } from '../install.js';
import { DETECTION_MS, leaderCrashFault, regionLossFault, switchoverFault, verdictCli, type FaultContext, type FaultResult } from './faults.js';
import { nodeUrl, startNodes } from './nodes.js';
import { WriteWatch } from './observe.js';
import { archiveUpToNow, restoreDrill, takeRestorePoint } from './restore-drill.js';
import { faultLines, restoreLines, variantLine, type VariantResult } from './report.js';

/**
 * `npm run test:patroni`: the real machinery on loopback (3 etcd, region A's 3-member Patroni
 * cluster in synchronous_mode, region B's standby cluster, HAProxy per region and the global
 * front, 2 Verdict nodes per region), evaluation load through the front and acknowledged writes
 * with unique ids, then: switchover, kill -9 of the leader, loss of region A and promotion of
 * region B; and a point-in-time restore drill. Figures on stdout; exit 1 when an acknowledged
 * write was lost (beyond the cross-region lag for the region loss), written twice, or an
 * evaluation through the front failed outside the front's detection window.
 */

const PROJECT = 'pl';
/** An evaluation not answered by then counts as an error. */
export const EVALUATION_TIMEOUT_MS = 5000;

export async function runVariant(lab: PatroniLab, options: { readonly restore: boolean; readonly log: (line: string) => void }): Promise<VariantResult> {
  const { plan } = lab;
  const log = options.log;
  const began = performance.now();
  const since = () => `${((performance.now() - began) / 1000).toFixed(1)} s`;
  const a = primaryRegionPlan(plan);
  const b = plan.regions.find((r) => r !== a)!;
  await startEtcd(lab);
  log(`${since()}: etcd has a quorum`);
  await startRegion(lab, a);
  await startHaproxy(lab, a);
  await createVerdictDatabase(lab);
  await createStanza(lab, a);
  await backup(lab, a, 'full');
  log(`${since()}: ${a.name} runs (3 members, one synchronous), pgBackRest has its full backup`);
  await startRegion(lab, b);
  await startHaproxy(lab, b);
  log(`${since()}: ${b.name}'s standby cluster follows ${a.name}`);
  const adminToken = randomBytes(24).toString('base64url');
  await startNodes(lab, a, adminToken);
  await startNodes(lab, b, adminToken);
  await startHaproxy(lab);
  const nodes = plan.regions.flatMap((r) => r.nodes.map(nodeUrl));
  const project = await createChaosProject(nodeUrl(a.nodes[0]!), adminToken, PROJECT);
  await servedEverywhere(nodes, project.evalPath, project.token, 'one', 120_000, 'parent');
  log(`${since()}: 4 Verdict nodes serve project ${PROJECT}; the front answers on ${Object.values(plan.front.ports).map((p) => `${plan.front.host}:${p}`).join(', ')}`);

  const point = options.restore ? await takeRestorePoint(plan, PROJECT) : undefined;
  if (point) {
    // Written after the point, so the restore must not have it.
    const after = await call(`${nodeUrl(a.nodes[0]!)}/api/projects/${PROJECT}/releases`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` }, body: { label: 'after-the-restore-point' }, timeoutMs: 30_000 });
    if (!after.ok) throw new Error(`a release after the restore point: ${after.status} ${JSON.stringify(after.body)}`);
    await archiveUpToNow(plan);
  }
  const backups = await verdictCli(['dr', 'backup-status', '--topology', topologyFile(plan.root), '--region', a.name], {});
  log(`verdict dr backup-status --region ${a.name} (exit ${backups.code}):\n${backups.stdout}${backups.stderr}`);
  const status = await verdictCli(['dr', 'status', '--topology', topologyFile(plan.root)], { PGPASSWORD: plan.secrets.superuser, VERDICT_TOKEN: adminToken });
  log(`verdict dr status (exit ${status.code}):\n${status.stdout}${status.stderr}`);
  const setupMs = Math.round(performance.now() - began);

  const origin = performance.now();
  const clock = () => performance.now() - origin;
  const frontUrl = (region: string) => `http://${plan.front.host}:${plan.front.ports[region]}`;
  const load = new EvaluationLoad(
    plan.regions.map((r) => ({ name: r.name, nodeUrls: [frontUrl(r.name)] })),
    // 5 s: the lab runs ~25 processes on 2 cores (load 15-20 during a failover); the slowest answer is reported.
    { path: project.evalPath, token: project.token, concurrency: 2, startedAt: origin, isActive: () => true, isExpected, isMixed, pauseMs: 10, timeoutMs: EVALUATION_TIMEOUT_MS },
  );
  const idPrefix = `pl${randomBytes(3).toString('hex')}-`;
  const writes = new WriteStream(() => nodes, {
    path: project.deployPath,
    adminToken,
    releases: ['one', 'two'],
    perSecond: 8,
    startedAt: origin,
    giveUpMs: 180_000,
    plan: project.saveAndRelease,
    idPrefix,
    rotate: true,
    // Longer than a node's write budget (VERDICT_DB_WRITE_TIMEOUT_MS, 10 s): the node answers, 201
    // as soon as it has a primary or 503 when the budget is spent, and the figures are Verdict's.
    attemptTimeoutMs: 15_000,
  });
  load.start();
  writes.start();
  const watches = new Map(plan.regions.map((r) => [r.name, new WriteWatch(`postgres://postgres:${encodeURIComponent(plan.secrets.superuser)}@${r.haproxy.host}:${r.haproxy.writerPort}/verdict`, clock)]));
  const ctx: FaultContext = { lab, clock, writes: writes.log, samples: load.samples, adminToken, watches, log };
  const faults: FaultResult[] = [];
  let loss: Awaited<ReturnType<typeof regionLossFault>> | undefined;
  try {
    await steady(writes, 10);
    faults.push(await switchoverFault(ctx));
    await steady(writes, 10);
    faults.push(await leaderCrashFault(ctx));
    await steady(writes, 10);
    loss = await regionLossFault(ctx);
    faults.push(loss);
    await steady(writes, 10);
    // A deploy after the promotion: served by region B's nodes, whose snapshots then carry the new generation.
    const deployed = await call(`${nodeUrl(b.nodes[0]!)}${project.deployPath}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` }, body: { release: 'two' }, timeoutMs: 30_000 });
    if (!deployed.ok) throw new Error(`deploy after the promotion: ${deployed.status} ${JSON.stringify(deployed.body)}`);
    await servedEverywhere(b.nodes.map(nodeUrl), project.evalPath, project.token, 'two', 60_000, 'parent');
    log(`deploy of release two after the promotion: served by ${b.nodes.map((n) => n.name).join(', ')}`);
  } finally {
    await writes.stop();
    await load.stop();
    await Promise.all([...watches.values()].map((w) => w.stop()));
  }
  const survivorWriter = `postgres://postgres:${encodeURIComponent(plan.secrets.superuser)}@${b.haproxy.host}:${b.haproxy.writerPort}/verdict`;
  const check = await checkWrites(survivorWriter, writes.log, { idPrefix });
  const lag = loss?.lag ?? { bytes: 0, ms: 0 };
  const lostBeyondLag = lossesBeyondLag(writes.log, check.lost, loss ? [{ at: loss.atMs, lagMs: lag.ms }] : []);
  const generation = faults.at(-1)?.facts.generation;
  const restore = point
    ? await restoreDrill(lab, point, { project: PROJECT, adminToken, snapshotFrom: b.nodes[0]!.name, highest: typeof generation === 'number' ? generation : 0, fleetNodes: b.nodes.map(nodeUrl), log })
    : undefined;
  return { timings: plan.timings, faults, writes: check, lostBeyondLag, lag, evaluations: load.samples.length, ...(restore ? { restore } : {}), setupMs, totalMs: Math.round(performance.now() - began) };
}

const HARNESS_PID = 'harness.pid';

/**
 * Labs of earlier runs whose harness is gone (killed, timed out): their processes are stopped by
 * the pids they recorded (and PostgreSQL by postmaster.pid), then their folders removed.
 */
async function removeLeftovers(progress: (line: string) => void): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith('verdict-patroni-')) continue;
    const root = path.join(tmpdir(), entry);
    const pid = Number(readFileSafe(path.join(root, HARNESS_PID)));
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    if (existsSync(planFile(root))) {
      const lab = openLab(root);
      const killed = await lab.processes.stopAll([...lab.plan.regions.flatMap((r) => r.members.map((m) => m.dataDir)), path.join(root, 'restore', 'pg')], 30_000);
      if (killed.length > 0) progress(`stopped what an earlier run left in ${root}: ${killed.join('; ')}`);
    }
    rmSync(root, { recursive: true, force: true });
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Waits for `count` more acknowledged writes: the load runs steadily before the next fault. */
async function steady(writes: WriteStream, count: number): Promise<void> {
  const target = writes.log.filter((w) => w.ackAt !== null).length + count;
  const deadline = performance.now() + 120_000;
  while (writes.log.filter((w) => w.ackAt !== null).length < target) {
    if (performance.now() > deadline) throw new Error(`writes did not resume: fewer than ${count} acknowledged in 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Why a variant failed, one line each; empty when it passed. */
export function problems(result: VariantResult): string[] {
  const out: string[] = [];
  if (result.lostBeyondLag.length > 0) out.push(`${result.lostBeyondLag.length} acknowledged writes lost beyond the cross-region lag: ${result.lostBeyondLag.slice(0, 5).join(', ')}`);
  if (result.writes.duplicates.length > 0) out.push(`${result.writes.duplicates.length} writes applied twice: ${result.writes.duplicates.slice(0, 5).join(', ')}`);
  if (result.writes.unexpected.length > 0) out.push(`${result.writes.unexpected.length} writes present although refused or never sent`);
  for (const fault of result.faults) {
    for (const e of fault.evaluations) {
      const counted = fault.name.startsWith('loss of') ? e.errors - e.errorsInDetection : e.errors;
      if (counted > 0) out.push(`${fault.name}: ${counted} evaluation errors through the front for ${e.region}'s clients ${fault.name.startsWith('loss of') ? `after the ${DETECTION_MS} ms detection window` : ''}: ${JSON.stringify(e.errorKinds)}`);
    }
  }
  if (result.restore && !result.restore.matches) out.push(`the restore holds ${JSON.stringify(result.restore.restored)}, not ${JSON.stringify(result.restore.expected)}`);
  if (result.restore && !result.restore.acceptedAfter) out.push('the restored server did not take writes after verdict dr promote --after-restore');
  return out;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('test:patroni')
    .description('Patroni, etcd, HAProxy and pgBackRest on loopback: switchover, leader crash, region loss, point-in-time restore; figures on stdout')
    .addOption(new Option('--timings <which>', "Patroni's ttl/loop_wait/retry_timeout: default (30/10/10), short (15/5/5) or both, one lab each").choices(['default', 'short', 'both']).default('both'))
    .option('--no-restore', 'skip the point-in-time restore drill')
    .option('--keep', 'leave the last lab running (its folder is printed; stop it with its pids.json)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'node' });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
  const opts = program.opts<{ timings: 'default' | 'short' | 'both'; restore: boolean; keep?: boolean }>();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const pgBinDir = findPgBinaries().binDir;
  if (missingPrograms(pgBinDir).length > 0) {
    try {
      await installLabPackages(progress);
    } catch (error) {
      process.stderr.write(`test:patroni: ${(error as Error).message}\n`);
      return 1;
    }
    const missing = missingPrograms(pgBinDir);
    if (missing.length > 0) {
      process.stderr.write(`test:patroni: still missing after the install: ${missing.join(', ')}\n`);
      return 1;
    }
  }
  await removeLeftovers(progress);
  const variants = opts.timings === 'both' ? [DEFAULT_TIMINGS, SHORT_TIMINGS] : [opts.timings === 'short' ? SHORT_TIMINGS : DEFAULT_TIMINGS];
  let failed = false;
  for (const [i, timings] of variants.entries()) {
    const lab = await createLab({ pgBinDir, timings });
    writeFileSync(path.join(lab.plan.root, HARNESS_PID), `${process.pid}\n`);
    progress(`lab in ${lab.plan.root} (ttl ${timings.ttl}, loop_wait ${timings.loopWait}, retry_timeout ${timings.retryTimeout})`);
    let stopping = false;
    let passed = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      const killed = await lab.processes.stopAll([...lab.plan.regions.flatMap((r) => r.members.map((m) => m.dataDir)), `${lab.plan.root}/restore/pg`], 30_000);
      if (killed.length > 0) progress(`had to kill: ${killed.join('; ')}`);
    };
    const onSignal = () => void stop().finally(() => process.exit(130));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await runVariant(lab, { restore: opts.restore && i === 0, log: progress });
      out(variantLine(result));
      for (const line of result.faults.flatMap(faultLines)) out(line);
      if (result.restore) for (const line of restoreLines(result.restore)) out(line);
      const found = problems(result);
      for (const p of found) out(`FAILED: ${p}`);
      if (found.length > 0) out(`logs: ${lab.plan.root}/logs`);
      failed ||= found.length > 0;
      passed = found.length === 0;
    } catch (error) {
      out(`FAILED (ttl ${timings.ttl}): ${(error as Error).stack ?? String(error)}`);
      out(`logs: ${lab.plan.root}/logs`);
      failed = true;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!(opts.keep && i === variants.length - 1)) {
        await stop();
        // A failed lab's folder stays for its logs (the next run removes it); a passed one goes.
        if (passed) rmSync(lab.plan.root, { recursive: true, force: true });
      } else out(`lab left running in ${lab.plan.root}`);
    }
  }
  out(failed ? 'test:patroni: FAILED' : 'test:patroni: passed');
  return failed ? 1 : 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await main(process.argv);
}
