import path from 'node:path';
import { Option, type Command } from 'commander';
import { changeReplication } from '../../dr/change-replication.js';
import { promote } from '../../dr/promote.js';
import { rejoin } from '../../dr/rejoin.js';
import { targetStatus, type DrStatus } from '../../dr/status.js';
import { labTarget } from '../../lab/target.js';
import type { ReplicationMode } from '../../pg-admin/replication.js';
import { loadTopology } from '../../topology/load.js';
import type { DrTarget } from '../../topology/target.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../io.js';
import { printJson, printTable } from '../output.js';
import { Progress } from '../progress.js';
import { parsePositive } from './decisions.js';
import { registerDrill } from './dr-drill.js';
import { describeReplication, fencedServers, printPromote, printRejoin, printStatus } from './dr-output.js';
import { LAB_DIR_HELP, labDir, labErrors } from './lab.js';

export { describeReplication } from './dr-output.js';

/** Exit codes of `dr status`, documented in --help and the README: monitors and scripts act on them. */
export const STATUS_EXIT = { ok: 0, noPrimary: 5, splitBrain: 6, fenced: 7 } as const;

const STATUS_HELP = `
The primary is the writable server with the highest cluster generation (as Verdict nodes choose
it). A writable server with an older generation is an old primary that came back: FENCED (nodes
refuse it; make it a standby with dr rejoin). Two writable servers with the same, highest
generation are a SPLIT BRAIN (nodes write to neither).

A region whose topology lists patroni.restUrls also shows Patroni's view: every member's /cluster
asked at once, within 2 s each: the leader (or a standby cluster's standby leader), or NO LEADER
when no member holds the leader lock; each member's role, state, host, timeline and lag in bytes
(as Patroni's DCS has it); the synchronous standby; and every member whose REST API did not answer,
as UNREACHABLE with why. Patroni's view does not change the exit code.

Exit codes (also with --json, which prints the status first):
  0  one primary, no other writable server
  5  no primary: no writable server with the highest generation answers
  6  split brain: several writable servers share the highest generation
  7  the primary works, but a fenced (stale) server is also writable: rejoin it
  1  any other error (no lab, unreadable lab.json or topology file); 2 usage errors`;

const TOPOLOGY_HELP = 'YAML topology of the cluster (regions: Postgres URL, standby name, node URLs) instead of a lab; see verdict dr --help';

const TOPOLOGY_TEXT = `
Every dr command but drill works on a lab (--dir) or on a cluster described by a YAML
topology file (--topology). A lab writes its own as <dir>/topology.yaml. A minimal file:

  replication: { mode: sync, standbys: 1 }   # what promote and rejoin restore (default: the primary's)
  regions:
    - name: eu
      postgres:
        url: postgres://postgres@10.0.1.5:5432/verdict   # admin connection; standby name: eu
        local: { dataDir: /var/lib/postgresql/16/main }  # only where rejoin or a switchover runs
      nodes: [http://10.0.1.10:8080]
    - name: us
      postgres: { url: postgres://postgres@10.0.2.5:5432/verdict }
      nodes: [http://10.0.2.10:8080]
      patroni: { restUrls: [http://10.0.2.11:8008, http://10.0.2.12:8008] }  # optional: under Patroni

With --topology, the fleet is asked with --token/VERDICT_TOKEN. Rejoin, and the stop that ends a
switchover, need the server's files: run them where the region's local details are filled in.
See docs/disaster-recovery.md for the runbook.`;

interface TargetOptions {
  readonly dir?: string;
  readonly topology?: string;
}

/** The cluster a dr command works on: a topology file, or the lab (through its own topology.yaml). */
function drTarget(ctx: CommandContext, cmd: Command, opts: TargetOptions): DrTarget {
  if (opts.topology === undefined) return labTarget(labDir(ctx, opts.dir));
  if (opts.dir !== undefined) throw new CliError('give either --topology <file> or --dir <lab>, not both', EXIT.usage);
  const token = ctx.globals(cmd).token ?? ctx.io.env.VERDICT_TOKEN;
  return { topology: loadTopology(path.resolve(ctx.io.cwd, opts.topology)), ...(token ? { adminToken: token } : {}) };
}

/** --dir and --topology, on every command that takes either. */
const targetOptions = (command: Command): Command => command.option('--dir <dir>', LAB_DIR_HELP).option('--topology <file>', TOPOLOGY_HELP);

export function registerDrCommands(program: Command, ctx: CommandContext): void {
  const dr = program
    .command('dr')
    .description('disaster recovery on a lab or a topology file: replication state, replication mode, fenced promotion, rejoin, drills')
    .addHelpText('after', TOPOLOGY_TEXT);

  targetOptions(
    dr.command('status').description("every PostgreSQL server (role, timeline, LSNs, sync state, lag, generation), Patroni's view where a region runs it, and what every node serves"),
  )
    .addHelpText('after', STATUS_HELP)
    .action(async (opts: TargetOptions, cmd: Command) => {
      const status = await labErrors(async () => targetStatus(drTarget(ctx, cmd, opts)));
      if (ctx.json(cmd)) printJson(ctx.io, status);
      else printStatus(ctx, status);
      const problem = statusProblem(status);
      if (problem) throw new CliError(problem.message, problem.exitCode);
    });

  targetOptions(
    dr
      .command('replication')
      .description("set the primary's replication mode (synchronous_standby_names, synchronous_commit) and verify it")
      .addOption(new Option('--mode <mode>', 'sync: the first N standbys confirm; quorum: any N; async: none').choices(['sync', 'async', 'quorum']).makeOptionMandatory())
      .option('--standbys <n>', 'standbys that must confirm each commit (sync, quorum)', '1'),
  )
    .addHelpText('after', '\nA lab records the mode, and promote and rejoin restore it; a topology file is not rewritten (set its replication: to match).')
    .action(async (opts: TargetOptions & { mode: ReplicationMode; standbys: string }, cmd: Command) => {
      const standbys = opts.mode === 'async' ? 0 : parsePositive(opts.standbys, '--standbys');
      const report = await labErrors(() => changeReplication(drTarget(ctx, cmd, opts), { mode: opts.mode, standbys }));
      if (ctx.json(cmd)) return printJson(ctx.io, report);
      ctx.io.stdout(`${report.primary}: ${describeReplication(report)}\n`);
      printTable(ctx.io, report.standbys, [
        { header: 'standby', value: (s) => s.name },
        { header: 'sync state', value: (s) => s.syncState },
        { header: 'replayed', value: (s) => s.replayLsn },
      ], '(no standby is connected)');
      if (report.degraded) ctx.io.stdout(`note: ${report.degraded}\n`);
    });

  targetOptions(
    dr
      .command('promote')
      .description('fenced promotion of a standby region: fence the old primary, pg_promote, bump the generation, re-point the standbys')
      .option('--region <region>', 'region to promote (default: the most advanced reachable standby)')
      .option('--force', 'old primary lost: promote even when another standby has received more WAL (what only it holds is lost)')
      .option('--confirm-old-primary-lost', 'the old primary cannot be reached and is lost, not merely cut off: promote without fencing it')
      .option('--max-behind-bytes <n>', 'old primary lost: how far behind the most advanced standby the region may be without --force', '0'),
  )
    .addHelpText(
      'after',
      `
With the old primary reachable (a planned switchover) it is fenced first: read-only, its sessions
ended. The region promoted is then a streaming standby that has received its final WAL position
(the named one, or the first in region order), so nothing acknowledged is lost; the old primary is
stopped after that. If no such standby receives it within 30 s, the fence is lifted and the old
primary takes writes again. --force and --max-behind-bytes apply only to a lost old primary.
With --topology, a switchover needs the old primary's local details (it stops that server).`,
    )
    .action(async (opts: TargetOptions & { region?: string; force?: boolean; confirmOldPrimaryLost?: boolean; maxBehindBytes: string }, cmd: Command) => {
      const progress = new Progress(ctx.io, { logSteps: true });
      const report = await labErrors(() =>
        promote(drTarget(ctx, cmd, opts), {
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

  targetOptions(
    dr
      .command('rejoin')
      .description('make a region (an old primary, a lost standby) a standby of the current primary: restart it as it is, else pg_rewind, else a base backup')
      .requiredOption('--region <region>', 'region to rejoin'),
  )
    .addHelpText('after', "\nIt works on the region's server files: with --topology, run it on that server's machine with the region's postgres.local filled in.")
    .action(async (opts: TargetOptions & { region: string }, cmd: Command) => {
      const progress = new Progress(ctx.io, { logSteps: true });
      const report = await labErrors(() =>
        rejoin(drTarget(ctx, cmd, opts), opts.region, { progress: (s) => progress.step(s) }).finally(() => progress.done()),
      );
      if (ctx.json(cmd)) return printJson(ctx.io, report);
      printRejoin(ctx, report);
    });
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

function nonNegative(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--max-behind-bytes must be a whole number of bytes (got "${text}")`);
  return n;
}
