import type { Command } from 'commander';
import type { Fleet } from '../../control-plane/fleet/schemas.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable, when } from '../output.js';

export function registerFleetCommand(program: Command, ctx: CommandContext): void {
  program
    .command('fleet')
    .description('which release every node in every region serves, per environment')
    .option('--project <project>', 'only this project')
    .option('--all', 'include nodes silent for more than an hour')
    .action(async (opts: { project?: string; all?: boolean }, cmd: Command) => {
      const fleet = await ctx.client(cmd).get<Fleet>('api/fleet', { project: opts.project, includeGone: opts.all ? true : undefined });
      if (ctx.json(cmd)) return printJson(ctx.io, fleet);
      printTable(ctx.io, fleet.nodes, [
        { header: 'node', value: (n) => n.nodeId },
        { header: 'region', value: (n) => n.region },
        { header: 'db', value: (n) => n.dbRole },
        { header: 'counter', value: (n) => n.changeCounter },
        { header: 'reloaded', value: (n) => when(n.reloadedAt) },
        { header: 'last seen', value: (n) => `${when(n.lastSeenAt)}${n.stale ? ' (STALE)' : ''}` },
      ], '(no node has reported yet)');
      for (const env of fleet.environments) {
        ctx.io.stdout(`\n${env.project}/${env.environment}: deployed ${env.deployed?.releaseLabel ?? '(nothing)'}\n`);
        printTable(ctx.io, env.nodes, [
          { header: 'region', value: (n) => n.region },
          { header: 'node', value: (n) => n.nodeId },
          { header: 'serves', value: (n) => n.releaseLabel ?? '(nothing)' },
          { header: 'status', value: (n) => (n.status === 'in-sync' ? 'in sync' : n.status.toUpperCase()) },
        ]);
      }
    });
}
