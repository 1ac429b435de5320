import path from 'node:path';
import { Option, type Command } from 'commander';
import { labDown, labKill, labStart, labStatus, labUp } from '../../lab/lab.js';
import { DrError } from '../../dr/errors.js';
import { LabError, nodeUrl, postgresUrl, type LabState } from '../../lab/state.js';
import { TopologyError } from '../../topology/errors.js';
import type { ReplicationMode, ServingTopology } from '../../lab/state.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../io.js';
import { printJson, printTable } from '../output.js';
import { Progress } from '../progress.js';
import { parsePositive } from './decisions.js';

export const LAB_DIR_HELP = 'lab directory (env VERDICT_LAB_DIR, default ./.verdict-lab)';

export function labDir(ctx: CommandContext, dir: string | undefined): string {
  return path.resolve(ctx.io.cwd, dir ?? ctx.io.env.VERDICT_LAB_DIR ?? '.verdict-lab');
}

/** Lab, topology and DR errors are the user's to fix (a missing lab, a bad file, a wrong region): one line, exit 1. */
export async function labErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LabError || error instanceof TopologyError || error instanceof DrError) throw new CliError(error.message);
    throw error;
  }
}

export function registerLabCommands(program: Command, ctx: CommandContext): void {
  const lab = program
    .command('lab')
    .description('a multi-region Verdict + PostgreSQL replication lab on loopback, for drills and trying DR')
    .addHelpText(
      'after',
      `
The lab runs one PostgreSQL primary (region-1), a streaming standby in every other region, and
Verdict nodes in every region, all on 127.0.0.1. Everything it starts is recorded in
<dir>/lab.json and stopped by pid with 'lab down'; <dir>/topology.yaml describes it for
'dr --topology'. Then try:
  verdict dr status            replication, lag, generations, what every node serves
  verdict lab kill region-1    lose the primary region
  verdict dr promote --region region-2 --confirm-old-primary-lost
  verdict dr drill             the whole exercise, measured`,
    );

  lab
    .command('up')
    .description('build and start the lab')
    .option('--regions <n>', 'regions (1-9)', '3')
    .option('--nodes-per-region <n>', 'Verdict nodes in each region (1-8)', '2')
    .addOption(new Option('--replication <mode>', 'sync: a commit waits for the first standby; quorum: for any N; async: for none').choices(['sync', 'async', 'quorum']).default('sync'))
    .option('--standbys <n>', 'standbys that must confirm a commit (sync, quorum)', '1')
    .addOption(
      new Option('--topology <topology>', 'active-active: every region takes evaluations; active-passive: only the primary region').choices(['active-active', 'active-passive']).default('active-active'),
    )
    .option('--no-fsync', 'PostgreSQL without fsync (faster on CI; a crash may lose data, replication is unchanged)')
    .option('--dir <dir>', LAB_DIR_HELP)
    .action(
      async (
        opts: { regions: string; nodesPerRegion: string; replication: ReplicationMode; standbys: string; topology: ServingTopology; fsync: boolean; dir?: string },
        cmd: Command,
      ) => {
        const dir = labDir(ctx, opts.dir);
        const progress = new Progress(ctx.io, { logSteps: true });
        const started = Date.now();
        const { state, replication } = await labErrors(() =>
          labUp({
            dir,
            regions: parsePositive(opts.regions, '--regions'),
            nodesPerRegion: parsePositive(opts.nodesPerRegion, '--nodes-per-region'),
            replication: { mode: opts.replication, standbys: opts.replication === 'async' ? 0 : parsePositive(opts.standbys, '--standbys') },
            topology: opts.topology,
            durable: opts.fsync,
            progress: (step) => progress.step(step),
          }).finally(() => progress.done()),
        );
        if (ctx.json(cmd)) return printJson(ctx.io, { ...state, replication });
        ctx.io.stdout(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${state.regions.length} region(s), ${state.topology}, ${replication.applied.mode} replication`);
        ctx.io.stdout(replication.synchronousStandbyNames ? ` (synchronous_standby_names = '${replication.synchronousStandbyNames}')\n` : '\n');
        if (replication.degraded) ctx.io.stdout(`note: ${replication.degraded}\n`);
        printLab(ctx, state);
      },
    );

  lab
    .command('status')
    .description('which lab processes run, and whether every node is ready')
    .option('--dir <dir>', LAB_DIR_HELP)
    .action(async (opts: { dir?: string }, cmd: Command) => {
      const { state, processes } = await labErrors(() => labStatus(labDir(ctx, opts.dir)));
      if (ctx.json(cmd)) return printJson(ctx.io, { primaryRegion: state.primaryRegion, topology: state.topology, replication: state.replication, processes });
      ctx.io.stdout(`lab in ${state.dir}: primary region ${state.primaryRegion}, ${state.topology}, ${state.replication.mode} replication\n`);
      printTable(ctx.io, processes, [
        { header: 'region', value: (p) => p.region },
        { header: 'process', value: (p) => p.what },
        { header: 'pid', value: (p) => p.pid },
        { header: 'state', value: (p) => (!p.running ? 'STOPPED' : p.ready === false ? 'NOT READY' : 'running') },
        { header: 'url', value: (p) => p.url },
      ]);
    });

  lab
    .command('down')
    .description('stop every process of the lab (by pid)')
    .option('--purge', 'also delete the lab directory and its PostgreSQL data')
    .option('--dir <dir>', LAB_DIR_HELP)
    .action(async (opts: { purge?: boolean; dir?: string }) => {
      const progress = new Progress(ctx.io, { logSteps: true });
      const state = await labErrors(() => labDown(labDir(ctx, opts.dir), { purge: opts.purge ?? false, progress: (s) => progress.step(s) }).finally(() => progress.done()));
      ctx.io.stdout(`lab in ${state.dir} stopped${opts.purge ? ' and deleted' : ''}\n`);
    });

  lab
    .command('kill')
    .description("lose a region: stop its PostgreSQL immediately and kill its nodes")
    .argument('<region>', 'e.g. region-1')
    .option('--dir <dir>', LAB_DIR_HELP)
    .action(async (region: string, opts: { dir?: string }) => {
      const state = await labErrors(() => labKill(labDir(ctx, opts.dir), region));
      ctx.io.stdout(`${region} is down${region === state.primaryRegion ? ' (it held the primary: promote another region with verdict dr promote)' : ''}\n`);
    });

  lab
    .command('start')
    .description("start a region's PostgreSQL and nodes again")
    .argument('<region>', 'e.g. region-1')
    .option('--dir <dir>', LAB_DIR_HELP)
    .action(async (region: string, opts: { dir?: string }) => {
      const progress = new Progress(ctx.io, { logSteps: true });
      await labErrors(() => labStart(labDir(ctx, opts.dir), region, (s) => progress.step(s)).finally(() => progress.done()));
      ctx.io.stdout(`${region} is up\n`);
    });
}

function printLab(ctx: CommandContext, state: LabState): void {
  const rows = state.regions.flatMap((region) => [
    { region: region.name, what: region.name === state.primaryRegion ? 'postgres (primary)' : 'postgres (standby)', url: postgresUrl(state, region) },
    ...region.nodes.map((node) => ({ region: region.name, what: `node ${node.id}`, url: nodeUrl(node) })),
  ]);
  printTable(ctx.io, rows, [
    { header: 'region', value: (r) => r.region },
    { header: 'process', value: (r) => r.what },
    { header: 'url', value: (r) => r.url },
  ]);
  const first = state.regions[0]!.nodes[0]!;
  ctx.io.stdout(
    [
      '',
      'Use it:',
      `  export VERDICT_URL=${nodeUrl(first)} VERDICT_TOKEN=${state.adminToken}`,
      `  verdict dr status --dir ${state.dir}`,
      `  verdict lab down --dir ${state.dir}   # stops everything`,
      '',
    ].join('\n'),
  );
}
