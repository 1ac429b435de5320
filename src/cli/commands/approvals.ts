import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentRequest } from '../../control-plane/deployment-requests/schemas.js';
import { seg, type ApiClient } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../io.js';
import { printJson, printTable, when } from '../output.js';

const requestsPath = (project: string) => `api/projects/${seg(project)}/deployment-requests`;

/** One line that says what a request is and what happens next. */
export function describeRequest(r: DeploymentRequest, project: string): string {
  const what = `${r.kind === 'rollback' ? 'rollback' : 'deployment'} of ${r.release.label} to ${r.environment}`;
  switch (r.status) {
    case 'pending':
      return `${what} needs ${r.requiredApprovals - r.approvals} more approval${r.requiredApprovals - r.approvals === 1 ? '' : 's'}: request ${r.id} (by ${r.requestedBy}, expires ${when(r.expiresAt)}); approve with: verdict approvals approve ${r.id} --project ${project}`;
    case 'deployed':
      return `${what} approved by ${r.reviews.filter((v) => v.verdict === 'approve').map((v) => v.reviewer).join(', ')}: deployment ${r.deploymentId}`;
    case 'rejected':
      return `${what} rejected by ${r.closedBy}${r.reviews.at(-1)?.comment ? `: ${r.reviews.at(-1)!.comment}` : ''}`;
    case 'cancelled':
      return `${what} cancelled by ${r.closedBy}`;
    case 'expired':
      return `${what} expired at ${r.expiresAt} without enough approvals`;
  }
}

/**
 * Polls a request until it is decided. Exit code 1 when it closes without deploying, 3 when the
 * wait runs out (it stays pending).
 */
export async function waitForDecision(client: ApiClient, project: string, id: number, timeoutSeconds: number, progress: (line: string) => void): Promise<DeploymentRequest> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delay = 500;
  progress(`waiting up to ${timeoutSeconds} s for request ${id} to be approved...`);
  for (;;) {
    const request = await client.get<DeploymentRequest>(`${requestsPath(project)}/${id}`);
    if (request.status === 'deployed') return request;
    if (request.status !== 'pending') throw new CliError(describeRequest(request, project), 1);
    if (Date.now() + delay > deadline) throw new CliError(`request ${id} is still pending after ${timeoutSeconds} s (${request.approvals} of ${request.requiredApprovals} approvals)`, 3);
    await sleep(delay);
    delay = Math.min(delay * 2, 5000);
  }
}

export function registerApprovalCommands(program: Command, ctx: CommandContext): void {
  const approvals = program
    .command('approvals')
    .description('deployment requests of protected environments: list, approve, reject, cancel')
    .addHelpText(
      'after',
      `
A deploy or rollback to an environment created with --approvals N becomes a request; N people other
than the requester approve it, and the last approval deploys. One rejection closes it.`,
    );

  approvals
    .command('list')
    .description('pending requests (or --status deployed|rejected|cancelled|expired|all)')
    .requiredOption('--project <project>', 'project key')
    .option('--env <env>', 'only this environment')
    .option('--status <status>', 'pending (default), deployed, rejected, cancelled, expired or all', 'pending')
    .action(async (opts: { project: string; env?: string; status: string }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<DeploymentRequest[]>(requestsPath(opts.project), { status: opts.status, environment: opts.env });
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'id', value: (r) => r.id },
        { header: 'env', value: (r) => r.environment },
        { header: 'kind', value: (r) => r.kind },
        { header: 'release', value: (r) => r.release.label },
        { header: 'by', value: (r) => r.requestedBy },
        { header: 'approvals', value: (r) => `${r.approvals}/${r.requiredApprovals}` },
        { header: 'status', value: (r) => r.status },
        { header: 'requested', value: (r) => when(r.createdAt) },
        { header: 'comment', value: (r) => r.comment },
      ], opts.status === 'pending' ? '(no pending deployment requests)' : '(no deployment requests)');
    });

  approvals
    .command('show <id>')
    .description('a request and its reviews')
    .requiredOption('--project <project>', 'project key')
    .action(async (id: string, opts: { project: string }, cmd: Command) => {
      const request = await ctx.client(cmd).get<DeploymentRequest>(`${requestsPath(opts.project)}/${seg(id)}`);
      if (ctx.json(cmd)) return printJson(ctx.io, request);
      ctx.io.stdout(`${describeRequest(request, opts.project)}\n`);
      if (request.comment) ctx.io.stdout(`comment: ${request.comment}\n`);
      for (const v of request.reviews) ctx.io.stdout(`  ${v.verdict === 'approve' ? 'approved' : 'rejected'} by ${v.reviewer} ${when(v.createdAt)}${v.comment ? `: ${v.comment}` : ''}\n`);
    });

  const decide = (verb: 'approve' | 'reject', description: string) =>
    approvals
      .command(`${verb} <id>`)
      .description(description)
      .requiredOption('--project <project>', 'project key')
      .option('--comment <text>', 'why (kept with the review and in the audit log)')
      .action(async (id: string, opts: { project: string; comment?: string }, cmd: Command) => {
        const request = await ctx.client(cmd).post<DeploymentRequest>(`${requestsPath(opts.project)}/${seg(id)}/${verb}`, opts.comment ? { comment: opts.comment } : {});
        if (ctx.json(cmd)) return printJson(ctx.io, request);
        ctx.io.stdout(`${request.status === 'pending' ? `approved request ${request.id}; ` : ''}${describeRequest(request, opts.project)}\n`);
      });
  decide('approve', "approve a request (not your own); the approval that completes it deploys");
  decide('reject', 'reject a request: it closes and nothing is deployed');

  approvals
    .command('cancel <id>')
    .description('withdraw your request (admins may cancel any)')
    .requiredOption('--project <project>', 'project key')
    .action(async (id: string, opts: { project: string }, cmd: Command) => {
      const request = await ctx.client(cmd).post<DeploymentRequest>(`${requestsPath(opts.project)}/${seg(id)}/cancel`, undefined);
      if (ctx.json(cmd)) return printJson(ctx.io, request);
      ctx.io.stdout(`${describeRequest(request, opts.project)}\n`);
    });
}
