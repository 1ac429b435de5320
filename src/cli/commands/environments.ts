import type { Command } from 'commander';
import type { Deployment } from '../../control-plane/deployments/schemas.js';
import type { Environment } from '../../control-plane/environments/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable, when } from '../output.js';
import { parseCount, parseDuration } from '../options.js';
import { usageError } from '../io.js';

interface ProtectionOpts {
  approvals?: number;
  approverRole?: string;
  approverGroup?: string;
  requestTtl?: number;
}

/** The protection fields of a create or update body; 'none' clears a role or group. */
function protectionBody(opts: ProtectionOpts): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (opts.approvals !== undefined) body['requiredApprovals'] = opts.approvals;
  if (opts.approverRole !== undefined) {
    if (!['admin', 'deployer', 'none'].includes(opts.approverRole)) throw usageError(`--approver-role must be admin, deployer or none (got "${opts.approverRole}")`);
    body['approverRole'] = opts.approverRole === 'none' ? null : opts.approverRole;
  }
  if (opts.approverGroup !== undefined) body['approverGroup'] = opts.approverGroup === 'none' ? null : opts.approverGroup;
  if (opts.requestTtl !== undefined) body['requestTtlSeconds'] = opts.requestTtl;
  return body;
}

function protectionOptions(command: Command): Command {
  return command
    .option('--approvals <n>', 'approvals a deploy or rollback needs, from people other than the requester (0 = unprotected)', (v) => parseCount(v, '--approvals', 10))
    .option('--approver-role <role>', 'only this role may approve: admin or deployer (admins always may); none: anyone who may deploy')
    .option('--approver-group <group>', 'approvers must be in this single-sign-on group; none: no group needed')
    .option('--request-ttl <duration>', 'a request not decided within this long expires, e.g. 7d, 12h (default 7d)', (v) => parseDuration(v, '--request-ttl'));
}

export function describeProtection(e: Environment): string {
  const p = e.protection;
  if (p.requiredApprovals === 0) return 'none';
  const who = [p.approverRole ? `role ${p.approverRole}` : '', p.approverGroup ? `group ${p.approverGroup}` : ''].filter(Boolean).join(', ');
  return `${p.requiredApprovals} approval${p.requiredApprovals === 1 ? '' : 's'}${who ? ` (${who})` : ''}`;
}

export function registerEnvironmentCommands(program: Command, ctx: CommandContext): void {
  const env = program.command('env').description('create, protect and list environments (dev, staging, prod, ...)');

  protectionOptions(
    env
      .command('create <key>')
      .description('create an environment in a project (--approvals N makes it protected)')
      .requiredOption('--project <project>', 'project key')
      .option('--name <name>', 'display name (default: the key)'),
  ).action(async (key: string, opts: ProtectionOpts & { project: string; name?: string }, cmd: Command) => {
    const created = await ctx.client(cmd).post<Environment>(`api/projects/${seg(opts.project)}/environments`, {
      key,
      ...(opts.name ? { name: opts.name } : {}),
      ...protectionBody(opts),
    });
    if (ctx.json(cmd)) return printJson(ctx.io, created);
    ctx.io.stdout(`created environment ${created.key} in ${opts.project}${created.protection.requiredApprovals > 0 ? `; approvals: ${describeProtection(created)}` : ''}\n`);
  });

  protectionOptions(
    env
      .command('update <key>')
      .description("rename an environment or change its protection (what a deployment to it needs)")
      .requiredOption('--project <project>', 'project key')
      .option('--name <name>', 'display name'),
  ).action(async (key: string, opts: ProtectionOpts & { project: string; name?: string }, cmd: Command) => {
    const body = { ...(opts.name ? { name: opts.name } : {}), ...protectionBody(opts) };
    if (Object.keys(body).length === 0) throw usageError('nothing to change: give --name, --approvals, --approver-role, --approver-group or --request-ttl');
    const updated = await ctx.client(cmd).request<Environment>('PATCH', `api/projects/${seg(opts.project)}/environments/${seg(key)}`, body);
    if (ctx.json(cmd)) return printJson(ctx.io, updated);
    ctx.io.stdout(`updated environment ${updated.key} in ${opts.project}; approvals: ${describeProtection(updated)}\n`);
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
        { header: 'approvals', value: (e) => describeProtection(e) },
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
