import type { Command } from 'commander';
import type { Project } from '../../control-plane/projects/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { printFields, printJson, printTable, when } from '../output.js';

export function registerProjectCommands(program: Command, ctx: CommandContext): void {
  const project = program.command('project').description('create and list projects');

  project
    .command('create <key>')
    .description('create a project (key: lower-case letters, digits, dashes)')
    .option('--name <name>', 'display name (default: the key)')
    .action(async (key: string, opts: { name?: string }, cmd: Command) => {
      const created = await ctx.client(cmd).post<Project>('api/projects', { key, ...(opts.name ? { name: opts.name } : {}) });
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      ctx.io.stdout(`created project ${created.key}\n`);
    });

  project
    .command('list')
    .description('list projects')
    .action(async (_opts: unknown, cmd: Command) => {
      const projects = await ctx.client(cmd).get<Project[]>('api/projects');
      if (ctx.json(cmd)) return printJson(ctx.io, projects);
      printTable(ctx.io, projects, [
        { header: 'key', value: (p) => p.key },
        { header: 'name', value: (p) => p.name },
        { header: 'created', value: (p) => when(p.createdAt) },
        { header: 'by', value: (p) => p.createdBy },
      ], '(no projects yet: verdict project create <key>)');
    });

  project
    .command('show <key>')
    .description('show a project')
    .action(async (key: string, _opts: unknown, cmd: Command) => {
      const found = await ctx.client(cmd).get<Project>(`api/projects/${seg(key)}`);
      if (ctx.json(cmd)) return printJson(ctx.io, found);
      printFields(ctx.io, { key: found.key, name: found.name, id: found.id, created: when(found.createdAt), by: found.createdBy });
    });
}
