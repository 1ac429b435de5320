import type { Command } from 'commander';
import type { Deployment } from '../../control-plane/deployments/schemas.js';
import type { Environment } from '../../control-plane/environments/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable, when } from '../output.js';

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
