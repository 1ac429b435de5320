import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { runDrill, type DrillReport } from '../../drill/drill.js';
import { drillHtml } from '../../drill/html-report.js';
import { saveInLab } from '../../drill/lab-reports.js';
import { stateFile, type ServingTopology } from '../../lab/state.js';
import type { ReplicationMode } from '../../pg-admin/replication.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../io.js';
import { printJson, printTable } from '../output.js';
import { Progress } from '../progress.js';
import { parsePositive } from './decisions.js';
import { labDir, labErrors } from './lab.js';

export function registerDrill(dr: Command, ctx: CommandContext): void {
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
    .option('--front <url>', "also evaluate through this load balancer in front of the lab's nodes (e.g. HAProxy with the other region's nodes as backup servers); its errors after the detection window fail the drill")
    .option('--front-detection-ms <ms>', 'how long after the kill the front may still send clients to the dead region', '5000')
    // The global --json is a flag, so `--json report.json` leaves the file name as an operand.
    .argument('[json-file]', 'with --json: write the JSON report to this file and print the summary (without a file, --json prints the report)')
    .option('--report <file>', 'write the full report as JSON to this file (same as --json <file>)')
    .option('--html <file>', 'write the report as an HTML page with a timeline chart (a drill on a lab, --dir, also keeps both in <dir>/drills)')
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
          topology: ServingTopology; concurrency: string; writeRate: string; fsync: boolean; report?: string; html?: string; front?: string; frontDetectionMs: string;
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
            ...(opts.front ? { front: { url: frontUrl(opts.front), detectionMs: parsePositive(opts.frontDetectionMs, '--front-detection-ms') } } : {}),
            progress: (s) => progress.step(s),
          }).finally(() => progress.done()),
        );
        if (reportFile) writeFileSync(path.resolve(ctx.io.cwd, reportFile), `${JSON.stringify(report, null, 2)}\n`);
        if (opts.html) writeFileSync(path.resolve(ctx.io.cwd, opts.html), drillHtml(report));
        // A lab keeps every drill run on it, for its nodes' Regions screen; a lab built for the drill is gone.
        const kept = opts.dir ? saveInLab(labDir(ctx, opts.dir), report) : undefined;
        if (ctx.json(cmd) && !reportFile) printJson(ctx.io, report);
        else printDrill(ctx, report, { ...opts, ...(reportFile ? { report: reportFile } : {}), ...(kept ? { kept: kept.html } : {}) });
        if (!report.passed) throw new CliError(`drill failed: ${report.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join('; ')}`);
      },
    );
}

function frontUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--front must be an http(s) URL, not '${text}'`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--front must be an http(s) URL, not '${text}'`, EXIT.usage);
  return text.replace(/\/+$/, '');
}

function printDrill(ctx: CommandContext, report: DrillReport, files: { report?: string; html?: string; kept?: string }): void {
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
  const f = report.front;
  if (f) {
    out(
      `through the front ${f.url}: ${f.requests} evaluations, ${f.errors} errors (${f.errorsInDetection} within ${f.detectionMs} ms of the kill, ${f.errorsAfterDetection} after), p50 ${f.p50Ms ?? '-'} ms, p99 ${f.p99Ms ?? '-'} ms`,
    );
  }
  if (report.evaluationDowntimeMs !== null) out(`evaluation downtime through the front: ${report.evaluationDowntimeMs} ms`);
  out(`propagation after recovery: ${report.propagation.ms === null ? 'did not complete' : `${report.propagation.ms} ms`} to ${report.propagation.nodes} node(s)`);
  out();
  for (const check of report.checks) out(`${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  if (files.report) out(`report: ${files.report}`);
  if (files.html) out(`chart: ${files.html}`);
  if (files.kept) out(`kept in the lab (its nodes' Regions screen lists it): ${files.kept}`);
  if (!report.lab.builtForTheDrill) out(`the lab keeps ${report.kill.region} down: verdict dr rejoin --region ${report.kill.region} --dir ${report.lab.dir}`);
}
