import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { runDrill, type DrillReport } from '../../dr/drill/drill.js';
import { drillHtml } from '../../dr/drill/html-report.js';
import { stateFile, type Topology } from '../../lab/state.js';
import { changeReplication } from '../../dr/change-replication.js';
import { promoteRegion, type PromoteReport } from '../../dr/promote.js';
import { rejoinRegion, type RejoinReport } from '../../dr/rejoin.js';
import type { ReplicationMode, ReplicationReport } from '../../dr/replication.js';
import { drStatus, type DrStatus } from '../../dr/status.js';
import type { TimelineStep } from '../../dr/timeline.js';
import { drRegions, readLabState } from '../../lab/state.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../io.js';
import { printJson, printTable } from '../output.js';
import { Progress } from '../progress.js';
import { parsePositive } from './decisions.js';
import { LAB_DIR_HELP, labDir, labErrors } from './lab.js';

/** Exit codes of `dr status`, documented in --help and the README: monitors and scripts act on them. */
export const STATUS_EXIT = { ok: 0, noPrimary: 5, splitBrain: 6, fenced: 7 } as const;

const STATUS_HELP = `
The primary is the writable server with the highest cluster generation (as Verdict nodes choose
it). A writable server with an older generation is an old primary that came back: FENCED (nodes
refuse it; make it a standby with dr rejoin). Two writable servers with the same, highest
generation are a SPLIT BRAIN (nodes write to neither).

Exit codes (also with --json, which prints the status first):
  0  one primary, no other writable server
  5  no primary: no writable server with the highest generation answers
  6  split brain: several writable servers share the highest generation
  7  the primary works, but a fenced (stale) server is also writable: rejoin it
  1  any other error (no lab, unreadable lab.json); 2 usage errors`;

export function registerDrCommands(program: Command, ctx: CommandContext): void {
  const dr = program
    .command('dr')
    .description('disaster recovery on a lab: replication state, replication mode, fenced promotion, rejoin, drills')
    .addHelpText('after', '\nSee docs/disaster-recovery.md for the runbook.');

  dr.command('status')
    .description('every PostgreSQL server (role, timeline, LSNs, sync state, lag, generation) and what every node serves')
    .option('--dir <dir>', LAB_DIR_HELP)
    .addHelpText('after', STATUS_HELP)
    .action(async (opts: { dir?: string }, cmd: Command) => {
      const status = await labErrors(async () => {
        const state = readLabState(labDir(ctx, opts.dir));
        return drStatus(drRegions(state), state.adminToken);
      });
      if (ctx.json(cmd)) printJson(ctx.io, status);
      else printStatus(ctx, status);
      const problem = statusProblem(status);
      if (problem) throw new CliError(problem.message, problem.exitCode);
    });

  dr.command('replication')
    .description("set the primary's replication mode (synchronous_standby_names, synchronous_commit) and verify it")
    .addOption(new Option('--mode <mode>', 'sync: the first N standbys confirm; quorum: any N; async: none').choices(['sync', 'async', 'quorum']).makeOptionMandatory())
    .option('--standbys <n>', 'standbys that must confirm each commit (sync, quorum)', '1')
    .option('--dir <dir>', LAB_DIR_HELP)
    .action(async (opts: { mode: ReplicationMode; standbys: string; dir?: string }, cmd: Command) => {
      const standbys = opts.mode === 'async' ? 0 : parsePositive(opts.standbys, '--standbys');
      const report = await labErrors(() => changeReplication(labDir(ctx, opts.dir), { mode: opts.mode, standbys }));
      if (ctx.json(cmd)) return printJson(ctx.io, report);
      ctx.io.stdout(`${report.primary}: ${describeReplication(report)}\n`);
      printTable(ctx.io, report.standbys, [
        { header: 'standby', value: (s) => s.name },
        { header: 'sync state', value: (s) => s.syncState },
        { header: 'replayed', value: (s) => s.replayLsn },
      ], '(no standby is connected)');
      if (report.degraded) ctx.io.stdout(`note: ${report.degraded}\n`);
    });

  dr.command('promote')
    .description('fenced promotion of a standby region: fence the old primary, pg_promote, bump the generation, re-point the standbys')
    .option('--region <region>', 'region to promote (default: the most advanced reachable standby)')
    .option('--force', 'old primary lost: promote even when another standby has received more WAL (what only it holds is lost)')
    .option('--confirm-old-primary-lost', 'the old primary cannot be reached and is lost, not merely cut off: promote without fencing it')
    .option('--max-behind-bytes <n>', 'old primary lost: how far behind the most advanced standby the region may be without --force', '0')
    .option('--dir <dir>', LAB_DIR_HELP)
    .addHelpText(
      'after',
      `
With the old primary reachable (a planned switchover) it is fenced first: read-only, its sessions
ended. The region promoted is then a streaming standby that has received its final WAL position
(the named one, or the first in region order), so nothing acknowledged is lost; the old primary is
stopped after that. If no such standby receives it within 30 s, the fence is lifted and the old
primary takes writes again. --force and --max-behind-bytes apply only to a lost old primary.`,
    )
    .action(async (opts: { region?: string; force?: boolean; confirmOldPrimaryLost?: boolean; maxBehindBytes: string; dir?: string }, cmd: Command) => {
      const progress = new Progress(ctx.io, { logSteps: true });
      const report = await labErrors(() =>
        promoteRegion(labDir(ctx, opts.dir), {
          ...(opts.region ? { region: opts.region } : {}),
          force: opts.force ?? false,
          confirmOldPrimaryLost: opts.confirmOldPrimaryLost ?? false,
          maxBehindBytes: nonNegative(opts.maxBehindBytes),
          progress: (s) => progress.step(s),
        }).finally(() => progress.done()),
      );
      if (ctx.json(cmd)) return printJson(ctx.io, report);
      printPromote(ctx, report);
    });

  registerDrill(dr, ctx);

  dr.command('rejoin')
    .description('make a region (an old primary, a lost standby) a standby of the current primary: restart it as it is, else pg_rewind, else a base backup')
    .requiredOption('--region <region>', 'region to rejoin')
    .option('--dir <dir>', LAB_DIR_HELP)
    .action(async (opts: { region: string; dir?: string }, cmd: Command) => {
      const progress = new Progress(ctx.io, { logSteps: true });
      const report = await labErrors(() => rejoinRegion(labDir(ctx, opts.dir), opts.region, { progress: (s) => progress.step(s) }).finally(() => progress.done()));
      if (ctx.json(cmd)) return printJson(ctx.io, report);
      printRejoin(ctx, report);
    });
}

function registerDrill(dr: Command, ctx: CommandContext): void {
  dr.command('drill')
    .description('kill the primary region under load, promote, and measure: lost and duplicated writes (RPO), evaluation errors, RTO, propagation')
    .option('--dir <dir>', 'run on this lab (default: build one in a temporary folder and tear it down afterwards)')
    .addOption(new Option('--replication <mode>', 'replication mode for the drill (default: sync for a lab it builds, the lab\'s own otherwise)').choices(['sync', 'async', 'quorum']))
    .option('--standbys <n>', 'standbys that confirm each commit (sync, quorum)', '1')
    .option('--duration <seconds>', 'how long the load runs; the kill comes at 30%', '30')
    .option('--regions <n>', 'regions of a lab the drill builds', '3')
    .option('--nodes-per-region <n>', 'Verdict nodes per region of a lab the drill builds', '1')
    .addOption(new Option('--topology <topology>', 'active-active: every region takes evaluations; active-passive: only the primary region').choices(['active-active', 'active-passive']).default('active-active'))
    .option('--concurrency <n>', 'evaluation loops per region', '2')
    .option('--write-rate <n>', 'deploys per second in the write stream', '20')
    .option('--no-fsync', 'a lab the drill builds runs PostgreSQL without fsync (CI)')
    // The global --json is a flag, so `--json report.json` leaves the file name as an operand.
    .argument('[json-file]', 'with --json: write the JSON report to this file and print the summary (without a file, --json prints the report)')
    .option('--report <file>', 'write the full report as JSON to this file (same as --json <file>)')
    .option('--html <file>', 'write the report as an HTML page with a timeline chart')
    .addHelpText(
      'after',
      `
Exit code 0 when every check holds (RPO 0 in sync and quorum mode, no duplicate, no evaluation
error in a surviving region for active-active, writes and evaluations resumed, the deploy after
recovery reached every surviving node), 1 otherwise. In async mode lost writes are reported, not
failed: that is what async means.`,
    )
    .action(
      async (
        jsonFile: string | undefined,
        opts: {
          dir?: string; replication?: ReplicationMode; standbys: string; duration: string; regions: string; nodesPerRegion: string;
          topology: Topology; concurrency: string; writeRate: string; fsync: boolean; report?: string; html?: string;
        },
        cmd: Command,
      ) => {
        if (jsonFile !== undefined && !ctx.json(cmd)) throw new CliError(`unexpected argument '${jsonFile}': to write the JSON report to that file, use --json ${jsonFile} (or --report ${jsonFile})`, EXIT.usage);
        if (jsonFile !== undefined && opts.report !== undefined) throw new CliError('give the JSON report file once: --json <file> or --report <file>', EXIT.usage);
        const reportFile = jsonFile ?? opts.report;
        if (opts.dir === undefined && existsSync(stateFile(labDir(ctx, undefined)))) {
          ctx.io.stderr(`note: the drill builds a lab of its own; to drill on the lab in ${labDir(ctx, undefined)}, add --dir ${path.relative(ctx.io.cwd, labDir(ctx, undefined)) || '.'}\n`);
        }
        const progress = new Progress(ctx.io, { logSteps: true });
        const replication = opts.replication ? { mode: opts.replication, standbys: opts.replication === 'async' ? 0 : parsePositive(opts.standbys, '--standbys') } : undefined;
        const report = await labErrors(() =>
          runDrill({
            ...(opts.dir ? { dir: labDir(ctx, opts.dir) } : {}),
            ...(replication ? { replication } : {}),
            regions: parsePositive(opts.regions, '--regions'),
            nodesPerRegion: parsePositive(opts.nodesPerRegion, '--nodes-per-region'),
            topology: opts.topology,
            durationS: parsePositive(opts.duration, '--duration'),
            concurrency: parsePositive(opts.concurrency, '--concurrency'),
            writesPerSecond: parsePositive(opts.writeRate, '--write-rate'),
            durable: opts.fsync,
            progress: (s) => progress.step(s),
          }).finally(() => progress.done()),
        );
        if (reportFile) writeFileSync(path.resolve(ctx.io.cwd, reportFile), `${JSON.stringify(report, null, 2)}\n`);
        if (opts.html) writeFileSync(path.resolve(ctx.io.cwd, opts.html), drillHtml(report));
        if (ctx.json(cmd) && !reportFile) printJson(ctx.io, report);
        else printDrill(ctx, report, { ...opts, ...(reportFile ? { report: reportFile } : {}) });
        if (!report.passed) throw new CliError(`drill failed: ${report.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join('; ')}`);
      },
    );
}

function printDrill(ctx: CommandContext, report: DrillReport, files: { report?: string; html?: string }): void {
  const c = report.config;
  const out = (line = '') => ctx.io.stdout(`${line}\n`);
  out(`DR drill: ${c.regions} regions x ${c.nodesPerRegion} node(s), ${c.topology}, ${c.replication.mode} replication, ${c.durationS} s`);
  out(`killed ${report.kill.region} at ${(report.kill.startedAtMs / 1000).toFixed(1)} s (the kill took ${report.kill.atMs - report.kill.startedAtMs} ms); promoted ${report.promotion.promoted} in ${report.promotion.totalMs} ms (timeline ${report.promotion.timeline ?? '?'}, generation ${report.promotion.generation})`);
  out();
  const w = report.writes;
  out(`writes: ${w.acknowledged} acknowledged, ${w.lost.length} lost (RPO), ${w.duplicates.length} duplicated, ${w.unacknowledged} unacknowledged (${w.unacknowledgedApplied} applied)`);
  out(`write RTO: ${w.rtoMs === null ? 'no write after the kill' : `${w.rtoMs} ms`} (start of the kill to the first acknowledged write); longest gap ${w.longestGapMs} ms`);
  out();
  printTable(ctx.io, report.evaluations, [
    { header: 'region', value: (e) => `${e.region}${e.killed ? ' (killed)' : ''}` },
    { header: 'evaluations', value: (e) => e.requests },
    { header: 'errors', value: (e) => e.errors },
    { header: 'after kill', value: (e) => e.errorsAfterKill },
    { header: 'p50 ms', value: (e) => e.p50Ms },
    { header: 'p99 ms', value: (e) => e.p99Ms },
  ]);
  if (report.evaluationDowntimeMs !== null) out(`evaluation downtime through the front: ${report.evaluationDowntimeMs} ms`);
  out(`propagation after recovery: ${report.propagation.ms === null ? 'did not complete' : `${report.propagation.ms} ms`} to ${report.propagation.nodes} node(s)`);
  out();
  for (const check of report.checks) out(`${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  if (files.report) out(`report: ${files.report}`);
  if (files.html) out(`chart: ${files.html}`);
  if (!report.lab.builtForTheDrill) out(`the lab keeps ${report.kill.region} down: verdict dr rejoin --region ${report.kill.region} --dir ${report.lab.dir}`);
}

function nonNegative(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--max-behind-bytes must be a whole number of bytes (got "${text}")`);
  return n;
}

export function describeReplication(report: ReplicationReport): string {
  const mode = report.applied.mode === 'async' ? 'async replication' : `${report.applied.mode} replication, ${report.applied.standbys} confirming standby(s)`;
  return `${mode} (synchronous_standby_names = '${report.synchronousStandbyNames}', synchronous_commit = ${report.synchronousCommit})`;
}

/** What is wrong with the cluster, as the one-line message and exit code `dr status` ends with. */
function statusProblem(status: DrStatus): { message: string; exitCode: number } | undefined {
  const fenced = fencedServers(status);
  switch (status.health) {
    case 'ok':
      return undefined;
    case 'split-brain':
      return { message: `split brain: ${status.splitBrain.join(', ')} are writable with the same cluster generation ${status.highestGeneration ?? '(none)'}`, exitCode: STATUS_EXIT.splitBrain };
    case 'no-primary':
      return { message: `no primary: no writable server with the highest cluster generation answers${fenced ? ` (fenced: ${fenced})` : ''}`, exitCode: STATUS_EXIT.noPrimary };
    case 'fenced':
      return { message: `fenced: ${fenced} writable besides the primary ${status.primary}; make it a standby with verdict dr rejoin --region ${status.fenced[0]}`, exitCode: STATUS_EXIT.fenced };
  }
}

function fencedServers(status: DrStatus): string {
  return status.servers
    .filter((s) => s.fenced)
    .map((s) => `${s.region} (generation ${s.generation ?? 'none'})`)
    .join(', ');
}

function printStatus(ctx: CommandContext, status: DrStatus): void {
  const primary = status.servers.find((s) => s.region === status.primary);
  ctx.io.stdout(
    status.primary
      ? `primary: ${status.primary} (timeline ${primary?.timeline ?? '?'}, cluster generation ${primary?.generation ?? '?'})\n`
      : status.splitBrain.length > 0
        ? 'primary: NONE (split brain)\n'
        : 'primary: NONE reachable\n',
  );
  if (status.splitBrain.length > 0) {
    ctx.io.stdout(`SPLIT BRAIN: ${status.splitBrain.join(', ')} are writable with the same cluster generation ${status.highestGeneration ?? '(none)'}: Verdict nodes write to neither\n`);
  }
  if (status.fenced.length > 0) {
    ctx.io.stdout(
      `FENCED: ${fencedServers(status)} writable with a generation older than ${status.highestGeneration}: an old primary that came back, refused by Verdict nodes; ` +
        `make it a standby${status.primary ? '' : ' once a primary is promoted'}: verdict dr rejoin --region ${status.fenced[0]}\n`,
    );
  }
  if (status.replication) {
    ctx.io.stdout(`replication: ${status.replication.mode} (synchronous_standby_names = '${status.replication.synchronousStandbyNames}', synchronous_commit = ${status.replication.synchronousCommit})\n`);
  }
  if (status.rpoExposure) {
    const e = status.rpoExposure;
    ctx.io.stdout(
      `RPO exposure now: ${e.bytes === null ? 'everything since the last standby contact (no standby streams)' : `${e.bytes} bytes not yet flushed on any standby${e.seconds ? ` (${e.seconds.toFixed(3)} s)` : ''}`}; ` +
        `acknowledged commits at risk: ${e.acknowledgedCommitsAtRisk ? 'YES (async)' : 'no (a standby confirmed each one)'}\n`,
    );
  }
  ctx.io.stdout('\n');
  printTable(ctx.io, status.servers, [
    { header: 'region', value: (s) => s.region },
    { header: 'role', value: (s) => (s.role === 'unreachable' ? 'UNREACHABLE' : s.fenced ? 'FENCED' : status.splitBrain.includes(s.region) ? 'SPLIT' : s.role) },
    { header: 'tl', value: (s) => s.timeline },
    { header: 'gen', value: (s) => s.generation },
    { header: 'lsn', value: (s) => (s.role === 'primary' ? s.currentLsn : s.replayLsn) },
    { header: 'upstream', value: (s) => (s.role === 'standby' ? `${s.upstream ?? '?'}${s.streaming ? '' : ' (NOT STREAMING)'}` : undefined) },
    { header: 'sync', value: (s) => s.syncState },
    { header: 'lag bytes', value: (s) => s.replayLagBytes },
    { header: 'lag s', value: (s) => (s.replayLagSeconds === null ? undefined : s.replayLagSeconds.toFixed(3)) },
  ]);
  if (status.slots.length > 0) {
    ctx.io.stdout(`\nslots on the primary: ${status.slots.map((s) => `${s.name} (${s.active ? 'active' : 'INACTIVE'})`).join(', ')}\n`);
  }
  ctx.io.stdout('\n');
  if (!status.fleet) {
    ctx.io.stdout(`fleet: unknown (${status.fleetError ?? 'no answer'})\n`);
    return;
  }
  const envs = status.fleet.environments;
  printTable(
    ctx.io,
    status.fleet.nodes,
    [
      { header: 'node', value: (n) => n.nodeId },
      { header: 'region', value: (n) => n.region },
      { header: 'db', value: (n) => n.dbRole },
      { header: 'seen', value: (n) => (n.stale ? 'STALE' : 'live') },
      {
        header: 'serves',
        value: (n) =>
          envs
            .map((e) => {
              const entry = e.nodes.find((x) => x.nodeId === n.nodeId);
              return `${e.project}/${e.environment}=${entry?.releaseLabel ?? '-'}${entry && entry.status !== 'in-sync' ? ` (${entry.status})` : ''}`;
            })
            .join(' ') || '-',
      },
    ],
    '(no node has reported)',
  );
}

function printSteps(ctx: CommandContext, steps: readonly TimelineStep[]): void {
  printTable(ctx.io, steps, [
    { header: 'at ms', value: (s) => s.startedAtMs },
    { header: 'took ms', value: (s) => s.tookMs },
    { header: 'step', value: (s) => (s.failed === undefined ? s.step : `${s.step}: FAILED, ${s.failed}`) },
  ]);
}

function printPromote(ctx: CommandContext, report: PromoteReport): void {
  printSteps(ctx, report.steps);
  ctx.io.stdout(
    `\npromoted ${report.promoted} in ${report.totalMs} ms: timeline ${report.timeline ?? '?'}, cluster generation ${report.generation}; old primary ${report.oldPrimary}: ${report.oldPrimaryFence}\n`,
  );
  for (const s of report.standbys) ctx.io.stdout(`  ${s.region}: ${s.outcome}${s.detail ? ` (${s.detail})` : ''}\n`);
  ctx.io.stdout(`${describeReplication(report.replication)}\n`);
  if (report.replication.degraded) ctx.io.stdout(`note: ${report.replication.degraded}\n`);
  if (report.standbys.some((s) => s.outcome === 'unreachable') || report.oldPrimaryFence.startsWith('confirmed')) {
    ctx.io.stdout(`when ${report.oldPrimary} is back: verdict dr rejoin --region ${report.oldPrimary}\n`);
  }
}

function printRejoin(ctx: CommandContext, report: RejoinReport): void {
  printSteps(ctx, report.steps);
  ctx.io.stdout(`\n${report.region} is a standby of ${report.primary} (${report.method}) in ${report.totalMs} ms\n`);
  ctx.io.stdout(`${describeReplication(report.replication)}\n`);
}
