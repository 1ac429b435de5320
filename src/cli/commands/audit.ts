import type { Command } from 'commander';
import type { AuditEntry } from '../../control-plane/audit/schemas.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable, when } from '../output.js';
import { parsePositive } from '../options.js';

export function registerAuditCommands(program: Command, ctx: CommandContext): void {
  program
    .command('audit')
    .description('read the audit log, newest first (admin)')
    .option('--project <project>', 'only this project')
    .option('--action <action>', "only this action, or a prefix such as 'deployment.*'")
    .option('--actor <actor>', 'only changes by this token name')
    .option('--target <target>', 'only this target (decision key, environment, ...)')
    .option('--since <time>', 'ISO 8601 time')
    .option('--until <time>', 'ISO 8601 time')
    .option('--limit <n>', 'how many entries', (v) => parsePositive(v, '--limit'), 50)
    .option('--before <id>', 'page: only entries older than this id (printed as the next page hint)', (v) => parsePositive(v, '--before'))
    .action(
      async (
        opts: { project?: string; action?: string; actor?: string; target?: string; since?: string; until?: string; limit: number; before?: number },
        cmd: Command,
      ) => {
      const page = await ctx.client(cmd).get<{ entries: AuditEntry[]; nextCursor: number | null }>('api/audit', {
        project: opts.project,
        action: opts.action,
        actor: opts.actor,
        target: opts.target,
        since: opts.since,
        until: opts.until,
        limit: opts.limit,
        before: opts.before,
      });
      if (ctx.json(cmd)) return printJson(ctx.io, page.entries);
      if (page.nextCursor !== null) ctx.io.stderr(`more entries: add --before ${page.nextCursor}\n`);
      printTable(ctx.io, page.entries, [
        { header: 'when', value: (e) => when(e.at) },
        { header: 'actor', value: (e) => e.actor },
        { header: 'action', value: (e) => e.action },
        { header: 'project', value: (e) => e.projectKey },
        { header: 'target', value: (e) => e.target },
        { header: 'request', value: (e) => e.requestId?.slice(0, 8) },
      ]);
      },
    );

  program
    .command('whoami')
    .description('show the name and role of the token in use')
    .action(async (_opts: unknown, cmd: Command) => {
      const me = await ctx.client(cmd).get<{ name: string; role: string }>('api/whoami');
      if (ctx.json(cmd)) return printJson(ctx.io, me);
      ctx.io.stdout(`${me.name} (${me.role})\n`);
    });
}
