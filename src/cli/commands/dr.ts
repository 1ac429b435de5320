import path from 'node:path';
import { Option, type Command } from 'commander';
import { backupStatus } from '../../dr/backup-status.js';
import { afterRestore } from '../../dr/after-restore.js';
import { changeReplication } from '../../dr/change-replication.js';
import { promote } from '../../dr/promote.js';
import { promotePatroni } from '../../dr/promote-patroni.js';
import { rejoin } from '../../dr/rejoin.js';
import { targetStatus, type DrStatus } from '../../dr/status.js';
import { labTarget } from '../../lab/target.js';
import type { ReplicationMode } from '../../pg-admin/replication.js';
import { loadTopology } from '../../topology/load.js';
import { DEFAULT_STANZA, regionOf, type TopologyRegion } from '../../topology/model.js';
import { TopologyError } from '../../topology/errors.js';
import type { DrTarget } from '../../topology/target.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT, usageError } from '../io.js';
import { printJson, printTable } from '../output.js';
import { Progress } from '../progress.js';
import { parsePositive } from './decisions.js';
import { registerDrill } from './dr-drill.js';
import { describeReplication, fencedServers, printAfterRestore, printBackupStatus, printPatroniPromote, printPromote, printRejoin, printStatus } from './dr-output.js';
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

/** Exit codes of `dr backup-status`, documented in its --help and the runbook. */
export const BACKUP_EXIT = { ok: 0, noBackup: 5, stanzaMissing: 6 } as const;

const BACKUP_HELP = `
Runs pgbackrest [--config <file>] --stanza <name> info --output=json (as the postgres OS user
when run as root: pgBackRest refuses repository files it does not own) and shows the last full
backup (label, stop time, size, WAL start/stop), the latest backup of any type, and the WAL
archived for the current database (the archive's oldest and newest segment). Nothing is written.

The stanza and configuration file come from the options, or from the topology's region:
  regions:
    - name: eu
      pgbackrest: { stanza: verdict, config: /etc/pgbackrest/pgbackrest.conf }   # both optional
Options given win over the topology's. Without a configuration file, pgBackRest's own default
(/etc/pgbackrest/pgbackrest.conf, or PGBACKREST_CONFIG); PGBACKREST_* variables are passed on.

Exit codes (also with --json, which prints the result first):
  0  ok: the stanza holds a valid backup
  5  no backup yet: the stanza exists without a valid backup
  6  stanza missing: the repository has no such stanza (stanza-create)
  1  pgbackrest not installed, or it failed (its error as one line); 2 usage errors`;

const TOPOLOGY_HELP = 'YAML topology of the cluster (regions: Postgres URL, standby name, node URLs) instead of a lab; see verdict dr --help';

const TOPOLOGY_TEXT = `
Every dr command but drill and backup-status works on a lab (--dir) or on a cluster described
by a YAML topology file (--topology). A lab writes its own as <dir>/topology.yaml. A minimal file:

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
      pgbackrest: { stanza: verdict, config: /etc/pgbackrest/pgbackrest.conf } # optional: backup-status

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
    .description('disaster recovery on a lab or a topology file: replication state, replication mode, fenced promotion, rejoin, drills, backup status')
    .addHelpText('after', TOPOLOGY_TEXT);

  targetOptions(
    dr
      .command('status')
      .description("every PostgreSQL server (role, timeline, LSNs, sync state, lag, generation), Patroni's view where a region runs it, and what every node serves")
      .option('--probe-timeout <ms>', 'a server that has not answered by then is shown unreachable: a frozen or demoting server must not hold the status up', '10000'),
  )
    .addHelpText('after', STATUS_HELP)
    .action(async (opts: TargetOptions & { probeTimeout: string }, cmd: Command) => {
      const timeoutMs = positiveMs(opts.probeTimeout, '--probe-timeout');
      const status = await labErrors(async () => targetStatus(drTarget(ctx, cmd, opts), timeoutMs));
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
      .option('--max-behind-bytes <n>', 'old primary lost: how far behind the most advanced standby the region may be without --force', '0')
      .option('--after-restore', "no promotion: the region's server (--region, default the topology's primary) was restored from a backup; raise its cluster generation above every one the nodes have seen")
      .option('--generation-above <n>', 'with --after-restore or on Patroni: also above this generation (for nodes that are down and remember one)')
      .option('--no-synchronous-mode', 'Patroni: leave synchronous_mode off in the promoted cluster (default: on)'),
  )
    .addHelpText(
      'after',
      `
With the old primary reachable (a planned switchover) it is fenced first: read-only, its sessions
ended. The region promoted is then a streaming standby that has received its final WAL position
(the named one, or the first in region order), so nothing acknowledged is lost; the old primary is
stopped after that. If no such standby receives it within 30 s, the fence is lifted and the old
primary takes writes again. --force and --max-behind-bytes apply only to a lost old primary.
With --topology, a switchover needs the old primary's local details (it stops that server).

Patroni (regions with patroni.restUrls in the topology): the region running a standby cluster is
promoted by Patroni itself: PATCH /config removes standby_cluster (and turns synchronous_mode on),
Patroni promotes its standby leader, then the cluster generation is raised above every one the
nodes report. Only for a lost primary region (--confirm-old-primary-lost); refused while that
region still has a leader. The REST API's credentials come from VERDICT_PATRONI_AUTH (user:password).

--after-restore: after a point-in-time restore the server holds the generation of the backup's
time, older than what nodes remember, and they would refuse it as an old primary. This raises it
above every generation the nodes report (VERDICT_TOKEN lets it ask them) and --generation-above.`,
    )
    .action(
      async (
        opts: TargetOptions & { region?: string; force?: boolean; confirmOldPrimaryLost?: boolean; maxBehindBytes: string; afterRestore?: boolean; generationAbove?: string; synchronousMode: boolean },
        cmd: Command,
      ) => {
        const progress = new Progress(ctx.io, { logSteps: true });
        const target = drTarget(ctx, cmd, opts);
        const region = opts.region ? { region: opts.region } : {};
        const above = opts.generationAbove === undefined ? {} : { generationAbove: nonNegative(opts.generationAbove) };
        const step = { progress: (s: string) => progress.step(s) };
        if (opts.afterRestore) {
          const report = await labErrors(() => afterRestore(target, { ...region, ...above, ...step }).finally(() => progress.done()));
          if (ctx.json(cmd)) return printJson(ctx.io, report);
          return printAfterRestore(ctx, report);
        }
        if (target.topology.regions.some((r) => r.patroni)) {
          const auth = ctx.io.env.VERDICT_PATRONI_AUTH;
          const report = await labErrors(() =>
            promotePatroni(target, {
              ...region,
              ...above,
              ...step,
              ...(auth ? { auth } : {}),
              confirmOldPrimaryLost: opts.confirmOldPrimaryLost ?? false,
              synchronousMode: opts.synchronousMode,
            }).finally(() => progress.done()),
          );
          if (ctx.json(cmd)) return printJson(ctx.io, report);
          return printPatroniPromote(ctx, report);
        }
        const report = await labErrors(() =>
          promote(target, {
            ...region,
            force: opts.force ?? false,
            confirmOldPrimaryLost: opts.confirmOldPrimaryLost ?? false,
            maxBehindBytes: nonNegative(opts.maxBehindBytes),
            ...step,
          }).finally(() => progress.done()),
        );
        if (ctx.json(cmd)) return printJson(ctx.io, report);
        printPromote(ctx, report);
      },
    );

  registerDrill(dr, ctx);

  dr.command('backup-status')
    .description("pgBackRest's state of a stanza: last full backup, latest backup, archived WAL range, and a status line")
    .option('--pgbackrest-config <file>', "pgBackRest's configuration file (default: the region's, else pgBackRest's own)")
    .option('--stanza <name>', `the stanza (default: the region's, else ${DEFAULT_STANZA})`)
    .option('--topology <file>', 'YAML topology whose region names the stanza and configuration file (pgbackrest:)')
    .option('--region <region>', 'the region of --topology to read (needed when several have pgbackrest:)')
    .addHelpText('after', BACKUP_HELP)
    .action(async (opts: { pgbackrestConfig?: string; stanza?: string; topology?: string; region?: string }, cmd: Command) => {
      if (opts.topology === undefined && opts.region !== undefined) throw usageError('--region needs --topology <file>');
      const explicit = opts.stanza !== undefined || opts.pgbackrestConfig !== undefined;
      const region = opts.topology === undefined ? undefined : backupRegion(ctx, opts.topology, opts.region, explicit);
      const config = opts.pgbackrestConfig !== undefined ? path.resolve(ctx.io.cwd, opts.pgbackrestConfig) : region?.pgbackrest?.config;
      const status = await backupStatus({
        stanza: opts.stanza ?? region?.pgbackrest?.stanza ?? DEFAULT_STANZA,
        ...(config !== undefined ? { config } : {}),
        ...(region ? { region: region.name } : {}),
        env: { ...ctx.io.env, PATH: ctx.io.env.PATH ?? process.env.PATH },
      });
      const failedToRun = status.status === 'pgbackrest-missing' || status.status === 'error';
      if (ctx.json(cmd)) printJson(ctx.io, status);
      else if (!failedToRun || status.pgbackrest !== null) printBackupStatus(ctx.io, status);
      if (status.status === 'ok') return;
      throw new CliError(status.message, status.status === 'no-backup' ? BACKUP_EXIT.noBackup : status.status === 'stanza-missing' ? BACKUP_EXIT.stanzaMissing : EXIT.error);
    });

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

/**
 * The topology region whose pgbackrest: settings `dr backup-status` reads: the one named, or the
 * only one that has them. Without them it is an error unless --stanza or --pgbackrest-config says
 * what to read (`explicit`).
 */
function backupRegion(ctx: CommandContext, file: string, name: string | undefined, explicit: boolean): TopologyRegion | undefined {
  const topology = topologyErrors(() => loadTopology(path.resolve(ctx.io.cwd, file)));
  const missing = (what: string) => new CliError(`${what} has no pgbackrest: (stanza, config); add it, or give --stanza and --pgbackrest-config`);
  if (name !== undefined) {
    const region = topologyErrors(() => regionOf(topology, name));
    if (!region.pgbackrest && !explicit) throw missing(`region ${name} of ${file}`);
    return region;
  }
  const withBackups = topology.regions.filter((r) => r.pgbackrest);
  if (withBackups.length === 1) return withBackups[0]!;
  if (withBackups.length === 0) {
    if (explicit) return undefined;
    throw new CliError(`no region of ${file} has pgbackrest: (stanza, config); add it, or give --stanza and --pgbackrest-config`);
  }
  throw usageError(`several regions of ${file} have pgbackrest: (${withBackups.map((r) => r.name).join(', ')}); choose one with --region`);
}

function topologyErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof TopologyError) throw new CliError(error.message);
    throw error;
  }
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

function positiveMs(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${option} must be a whole number of milliseconds of at least 1, not '${text}'`, EXIT.usage);
  return n;
}

function nonNegative(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--max-behind-bytes must be a whole number of bytes (got "${text}")`);
  return n;
}
