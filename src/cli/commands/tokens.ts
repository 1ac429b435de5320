import type { Command } from 'commander';
import type { ApiToken, NewApiToken } from '../../control-plane/api-tokens/schemas.js';
import { ROLES, isRole } from '../../control-plane/api-tokens/roles.js';
import type { EvaluationToken, NewEvaluationToken } from '../../control-plane/evaluation-tokens/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../io.js';
import { printJson, printTable, when } from '../output.js';

interface EnvOpts {
  project: string;
  env: string;
}

const envPath = (opts: EnvOpts) => `api/projects/${seg(opts.project)}/environments/${seg(opts.env)}/tokens`;

export function registerTokenCommands(program: Command, ctx: CommandContext): void {
  const token = program.command('token').description('evaluation tokens: what clients send as X-Access-Token to evaluate in one environment');

  token
    .command('create')
    .description('create an evaluation token (the secret is printed once)')
    .requiredOption('--project <project>', 'project key')
    .requiredOption('--env <env>', 'environment key')
    .option('--name <name>', 'what the token is for')
    .action(async (opts: EnvOpts & { name?: string }, cmd: Command) => {
      const created = await ctx.client(cmd).post<NewEvaluationToken>(envPath(opts), opts.name ? { name: opts.name } : {}, { retry: false });
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      ctx.io.stdout(`${created.token}\n`);
      ctx.io.stderr(`evaluation token ${created.id} for ${opts.project}/${opts.env}: store it now, it is not shown again\n`);
    });

  token
    .command('list')
    .description("list an environment's evaluation tokens")
    .requiredOption('--project <project>', 'project key')
    .requiredOption('--env <env>', 'environment key')
    .action(async (opts: EnvOpts, cmd: Command) => {
      const rows = await ctx.client(cmd).get<EvaluationToken[]>(envPath(opts));
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'id', value: (t) => t.id },
        { header: 'name', value: (t) => t.name },
        { header: 'prefix', value: (t) => t.prefix },
        { header: 'created', value: (t) => when(t.createdAt) },
        { header: 'last used', value: (t) => when(t.lastUsedAt) },
        { header: 'revoked', value: (t) => when(t.revokedAt) },
      ]);
    });

  token
    .command('revoke <id>')
    .description('revoke an evaluation token')
    .requiredOption('--project <project>', 'project key')
    .requiredOption('--env <env>', 'environment key')
    .action(async (id: string, opts: EnvOpts, cmd: Command) => {
      const revoked = await ctx.client(cmd).delete<EvaluationToken>(`${envPath(opts)}/${seg(id)}`);
      if (ctx.json(cmd)) return printJson(ctx.io, revoked);
      ctx.io.stdout(`revoked evaluation token ${revoked.id} (${revoked.name})\n`);
    });

  const apiToken = program.command('api-token').description('API tokens for people and pipelines (Authorization: Bearer), with a role');

  apiToken
    .command('create')
    .description(`create an API token (the secret is printed once); roles: ${ROLES.join(', ')}`)
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--name <name>', 'who or what uses it (default: <role> token)')
    .action(async (opts: { role: string; name?: string }, cmd: Command) => {
      if (!isRole(opts.role)) throw usageError(`--role must be one of ${ROLES.join(', ')} (got "${opts.role}")`);
      const created = await ctx.client(cmd).post<NewApiToken>('api/tokens', { role: opts.role, name: opts.name ?? `${opts.role} token` }, { retry: false });
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      ctx.io.stdout(`${created.token}\n`);
      ctx.io.stderr(`API token ${created.id} (${created.role}): store it now, it is not shown again\n`);
    });

  apiToken
    .command('list')
    .description('list API tokens')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await ctx.client(cmd).get<ApiToken[]>('api/tokens');
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'id', value: (t) => t.id },
        { header: 'name', value: (t) => t.name },
        { header: 'role', value: (t) => t.role },
        { header: 'prefix', value: (t) => t.prefix },
        { header: 'last used', value: (t) => when(t.lastUsedAt) },
        { header: 'revoked', value: (t) => when(t.revokedAt) },
      ]);
    });

  apiToken
    .command('revoke <id>')
    .description('revoke an API token')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const revoked = await ctx.client(cmd).delete<ApiToken>(`api/tokens/${seg(id)}`);
      if (ctx.json(cmd)) return printJson(ctx.io, revoked);
      ctx.io.stdout(`revoked API token ${revoked.id} (${revoked.name})\n`);
    });
}
