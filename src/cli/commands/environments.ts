import type { Command } from 'commander';
import type { Deployment, DeployResult } from '../../features/deployments/schemas.js';
import type { Environment } from '../../features/environments/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable, when } from '../output.js';
import { CliError, usageError } from '../io.js';
import { parsePositive } from './decisions.js';

export function registerEnvironmentCommands(program: Command, ctx: CommandContext): void {
  const env = program.command('env').description('create and list environments (dev, staging, prod, ...)');

  env
    .command('create <key>')
    .description('create an environment in a project')
    .requiredOption('--project <project>', 'project key')
    .option('--name <name>', 'display name (default: the key)')
    .action(async (key: string, opts: { project: string; name?: string }, cmd: Command) => {
      const created = await ctx.client(cmd).post<Environment>(`api/projects/${seg(opts.project)}/environments`, {
        key,
        ...(opts.name ? { name: opts.name } : {}),
      });
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      ctx.io.stdout(`created environment ${created.key} in ${opts.project}\n`);
    });

  env
    .command('list')
    .description('list environments and the release each serves')
    .requiredOption('--project <project>', 'project key')
    .action(async (opts: { project: string }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<Environment[]>(`api/projects/${seg(opts.project)}/environments`);
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'env', value: (e) => e.key },
        { header: 'release', value: (e) => e.current?.releaseLabel ?? '(nothing deployed)' },
        { header: 'deployed', value: (e) => when(e.current?.deployedAt) },
        { header: 'by', value: (e) => e.current?.deployedBy },
      ], '(no environments: verdict env create <key> --project <project>)');
    });

  env
    .command('history <env>')
    .description("an environment's deployments, newest first")
    .requiredOption('--project <project>', 'project key')
    .action(async (key: string, opts: { project: string }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<Deployment[]>(`api/projects/${seg(opts.project)}/environments/${seg(key)}/deployments`);
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'id', value: (d) => d.id },
        { header: 'kind', value: (d) => d.kind },
        { header: 'release', value: (d) => d.release.label },
        { header: 'previous', value: (d) => d.previousRelease?.label },
        { header: 'when', value: (d) => when(d.createdAt) },
        { header: 'by', value: (d) => d.deployedBy },
      ]);
    });
}

function reportDeploy(ctx: CommandContext, cmd: Command, result: DeployResult): void {
  if (ctx.json(cmd)) return printJson(ctx.io, result);
  if (result.wait && !result.wait.satisfied) {
    throw new CliError(
      `${result.unchanged ? 'already deployed' : `deployed ${result.release.label}`}, but after ${result.wait.waitedMs} ms these ${result.wait.for === 'replicas' ? 'replicas' : 'nodes'} have not caught up: ${result.wait.pending.join(', ')}`,
      3,
    );
  }
  if (result.unchanged) {
    ctx.io.stdout(`${result.environment} already serves ${result.release.label}; nothing changed\n`);
    return;
  }
  const verb = result.kind === 'rollback' ? 'rolled back' : 'deployed';
  const waited = result.wait ? `; ${waitedFor(result.wait)} (${result.wait.waitedMs} ms)` : '';
  ctx.io.stdout(`${verb} ${result.environment} to ${result.release.label}${result.previousRelease ? ` (was ${result.previousRelease.label})` : ''}; deployment ${result.id}${waited}\n`);
}

function waitQuery(opts: { wait?: string; waitTimeout: number }): Record<string, string | number | undefined> {
  if (opts.wait !== undefined && opts.wait !== 'replicas' && opts.wait !== 'fleet') throw usageError(`--wait must be replicas or fleet (got "${opts.wait}")`);
  return { wait: opts.wait, timeout: opts.wait ? opts.waitTimeout * 1000 : undefined };
}

const WAIT_HELP = `
--wait replicas returns once every standby streaming from the primary has replayed the deploy;
--wait fleet once every live Verdict node reports serving it. Exit code 3 when the wait timed out
(the deploy itself happened).`;

export function registerDeploymentCommands(program: Command, ctx: CommandContext): void {
  program
    .command('deploy')
    .description('deploy a release to an environment')
    .requiredOption('--project <project>', 'project key')
    .requiredOption('--env <env>', 'environment key')
    .requiredOption('--release <release>', "release id, label, or 'latest'")
    .option('--wait <what>', 'replicas | fleet: wait until the deploy is everywhere')
    .option('--wait-timeout <seconds>', 'how long --wait waits', (v) => parsePositive(v, '--wait-timeout'), 30)
    .addHelpText('after', WAIT_HELP)
    .action(async (opts: { project: string; env: string; release: string; wait?: string; waitTimeout: number }, cmd: Command) => {
      const result = await ctx
        .client(cmd)
        .request<DeployResult>('POST', `api/projects/${seg(opts.project)}/environments/${seg(opts.env)}/deployments`, { release: opts.release }, waitQuery(opts));
      reportDeploy(ctx, cmd, result);
    });

  program
    .command('rollback')
    .description('deploy the release that was live before the current one (or --release)')
    .requiredOption('--project <project>', 'project key')
    .requiredOption('--env <env>', 'environment key')
    .option('--release <release>', 'release to roll back to')
    .option('--wait <what>', 'replicas | fleet: wait until the rollback is everywhere')
    .option('--wait-timeout <seconds>', 'how long --wait waits', (v) => parsePositive(v, '--wait-timeout'), 30)
    .addHelpText('after', WAIT_HELP)
    .action(async (opts: { project: string; env: string; release?: string; wait?: string; waitTimeout: number }, cmd: Command) => {
      const result = await ctx
        .client(cmd)
        .request<DeployResult>('POST', `api/projects/${seg(opts.project)}/environments/${seg(opts.env)}/rollback`, opts.release ? { release: opts.release } : {}, waitQuery(opts));
      reportDeploy(ctx, cmd, result);
    });
}

function waitedFor(wait: NonNullable<DeployResult['wait']>): string {
  if (wait.checked === 0) return wait.for === 'replicas' ? 'no standby is attached, nothing to wait for' : 'no live node reports, nothing to wait for';
  const things = wait.for === 'replicas' ? `${wait.checked} standby${wait.checked === 1 ? '' : 's'}` : `${wait.checked} node${wait.checked === 1 ? '' : 's'}`;
  return wait.for === 'replicas' ? `replayed by ${things}` : `served by ${things}`;
}
