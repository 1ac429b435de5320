import type { Command } from 'commander';
import type { ApiToken, NewApiToken } from '../../control-plane/api-tokens/schemas.js';
import { ROLES, isRole } from '../../control-plane/api-tokens/roles.js';
import type { EvaluationToken, NewEvaluationToken } from '../../control-plane/evaluation-tokens/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../io.js';
import { parseDuration } from '../options.js';

/** Expiry is kept in whole days: 12h rounds up to 1 day. */
function wholeDays(value: string, name: string): number {
  const seconds = parseDuration(value, name);
  if (seconds === 0) throw usageError(`${name} must be longer than 0 (use --no-expiry for a token that never expires)`);
  return Math.ceil(seconds / 86_400);
}
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
    .option('--expires-in <duration>', 'the token stops working after this long, e.g. 90d, 12h (whole days; default 90d)', '90d')
    .option('--no-expiry', 'a token that never expires (prefer rotating: verdict api-token rotate)')
    .option('--project <project>', 'limit the token to one project')
    .option('--deploy-unreviewed', 'let packages it applies with --env deploy to protected environments without approval (audited)')
    .action(async (opts: { role: string; name?: string; expiresIn: string; expiry: boolean; project?: string; deployUnreviewed?: boolean }, cmd: Command) => {
      if (!isRole(opts.role)) throw usageError(`--role must be one of ${ROLES.join(', ')} (got "${opts.role}")`);
      const created = await ctx.client(cmd).post<NewApiToken>(
        'api/tokens',
        {
          role: opts.role,
          name: opts.name ?? `${opts.role} token`,
          ...(opts.expiry ? { expiresInDays: wholeDays(opts.expiresIn, '--expires-in') } : {}),
          ...(opts.project ? { project: opts.project } : {}),
          ...(opts.deployUnreviewed ? { permissions: ['deploy-unreviewed'] } : {}),
        },
        { retry: false },
      );
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      ctx.io.stdout(`${created.token}\n`);
      ctx.io.stderr(`API token ${created.id} (${created.role}${created.project ? `, project ${created.project}` : ''}, ${created.expiresAt ? `expires ${created.expiresAt}` : 'never expires'}): store it now, it is not shown again\n`);
    });

  apiToken
    .command('rotate <id>')
    .description('give an API token a new secret (printed once); same id, role and scope')
    .option('--grace <duration>', 'how long the old secret keeps working, e.g. 1h (default: stops at once)', '0')
    .option('--expires-in <duration>', 'a new expiry from now, e.g. 90d (default: keep the current one)')
    .action(async (id: string, opts: { grace: string; expiresIn?: string }, cmd: Command) => {
      const rotated = await ctx.client(cmd).post<NewApiToken>(
        `api/tokens/${seg(id)}/rotate`,
        { graceSeconds: parseDuration(opts.grace, '--grace'), ...(opts.expiresIn ? { expiresInDays: wholeDays(opts.expiresIn, '--expires-in') } : {}) },
        { retry: false },
      );
      if (ctx.json(cmd)) return printJson(ctx.io, rotated);
      ctx.io.stdout(`${rotated.token}\n`);
      const grace = rotated.previousSecretValidUntil ? `the old secret works until ${rotated.previousSecretValidUntil}` : 'the old secret no longer works';
      ctx.io.stderr(`API token ${rotated.id} rotated (${rotated.expiresAt ? `expires ${rotated.expiresAt}` : 'never expires'}); ${grace}. Store the new one now, it is not shown again\n`);
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
        { header: 'project', value: (t) => t.project ?? '(all)' },
        { header: 'expires', value: (t) => (t.expiresAt ? when(t.expiresAt) : 'never') },
        { header: 'last used', value: (t) => when(t.lastUsedAt) },
        { header: 'revoked', value: (t) => when(t.revokedAt) },
        { header: 'extra', value: (t) => t.permissions.join(',') },
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
