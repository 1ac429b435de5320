import type { Command } from 'commander';
import type { DeployResult } from '../../control-plane/deployments/schemas.js';
import { assertNever } from '../../lib/assert-never.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError, usageError } from '../io.js';
import { parsePositive } from '../options.js';
import { printJson } from '../output.js';
import type { ApprovalRequired } from '../../control-plane/deployment-requests/schemas.js';
import { describeRequest, waitForDecision } from './approvals.js';

type DeployAnswer = DeployResult | ApprovalRequired;

interface DeployOpts {
  project: string;
  env: string;
  release?: string;
  comment?: string;
  wait?: string | true;
  waitTimeout: number;
  approvalTimeout: number;
}

/**
 * Sends a deploy or rollback. On a protected environment the answer is a deployment request:
 * printed (exit 0), or with --wait waited for until it is approved (then the deploy is repeated,
 * which the server answers as unchanged, to apply --wait replicas|fleet).
 */
async function deployOrRequest(ctx: CommandContext, cmd: Command, path: string, body: Record<string, string>, opts: DeployOpts): Promise<void> {
  const client = ctx.client(cmd);
  const answer = await client.request<DeployAnswer>('POST', path, body, waitQuery(opts));
  if (!('approvalRequired' in answer)) return reportDeploy(ctx, cmd, answer);
  if (opts.wait === undefined) {
    if (ctx.json(cmd)) return printJson(ctx.io, { requestId: answer.request.id, ...answer });
    ctx.io.stdout(`${describeRequest(answer.request, opts.project)}\n`);
    return;
  }
  const progress = (line: string) => {
    if (!ctx.json(cmd)) ctx.io.stderr(`verdict: ${line}\n`);
  };
  progress(describeRequest(answer.request, opts.project));
  const decided = await waitForDecision(client, opts.project, answer.request.id, opts.approvalTimeout, progress);
  if (opts.wait === true) {
    if (ctx.json(cmd)) return printJson(ctx.io, { requestId: decided.id, request: decided });
    ctx.io.stdout(`${describeRequest(decided, opts.project)}\n`);
    return;
  }
  // The approved release is live: deploying it again changes nothing and waits for replicas/fleet.
  const again = await client.request<DeployAnswer>('POST', `api/projects/${seg(opts.project)}/environments/${seg(opts.env)}/deployments`, { release: decided.release.id }, waitQuery(opts));
  if ('approvalRequired' in again) throw new CliError(`request ${decided.id} was approved but ${opts.env} no longer serves ${decided.release.label}`, 1);
  reportDeploy(ctx, cmd, { ...again, unchanged: false, kind: decided.kind });
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
  const verb = verbOf(result.kind);
  const waited = result.wait ? `; ${waitedFor(result.wait)} (${result.wait.waitedMs} ms)` : '';
  ctx.io.stdout(`${verb} ${result.environment} to ${result.release.label}${result.previousRelease ? ` (was ${result.previousRelease.label})` : ''}; deployment ${result.id}${waited}\n`);
}

function waitQuery(opts: { wait?: string | true; waitTimeout: number }): Record<string, string | number | undefined> {
  if (opts.wait === undefined || opts.wait === true) return {};
  if (opts.wait !== 'replicas' && opts.wait !== 'fleet') throw usageError(`--wait must be replicas or fleet, or nothing (got "${opts.wait}")`);
  return { wait: opts.wait, timeout: opts.waitTimeout * 1000 };
}

const WAIT_HELP = `
On a protected environment (verdict env create --approvals N) the deploy becomes a deployment
request: the command prints it and exits 0 (--json: an object with requestId). --wait waits until
it is approved and deployed (exit 1 if it is rejected, cancelled or expires; 3 if
--approval-timeout passes first).

--wait replicas also returns only once every standby streaming from the primary has replayed the
deploy; --wait fleet once every live Verdict node reports serving it. Exit code 3 when that wait
timed out (the deploy itself happened).`;

export function registerDeploymentCommands(program: Command, ctx: CommandContext): void {
  const deployCommand = (name: 'deploy' | 'rollback', description: string, path: string, release: 'required' | 'optional') => {
    const command = program
      .command(name)
      .description(description)
      .requiredOption('--project <project>', 'project key')
      .requiredOption('--env <env>', 'environment key');
    if (release === 'required') command.requiredOption('--release <release>', "release id, label, or 'latest'");
    else command.option('--release <release>', 'release to roll back to');
    command
      .option('--comment <text>', 'why: shown to the approvers of a protected environment')
      .option('--wait [what]', 'wait for the approval (protected environments); replicas | fleet: also until the change is everywhere')
      .option('--wait-timeout <seconds>', 'how long --wait replicas|fleet waits', (v) => parsePositive(v, '--wait-timeout'), 30)
      .option('--approval-timeout <seconds>', 'how long --wait waits for an approval', (v) => parsePositive(v, '--approval-timeout'), 3600)
      .addHelpText('after', WAIT_HELP)
      .action(async (opts: DeployOpts, cmd: Command) => {
        const body: Record<string, string> = {};
        if (opts.release !== undefined) body['release'] = opts.release;
        if (opts.comment !== undefined) body['comment'] = opts.comment;
        await deployOrRequest(ctx, cmd, path.replace(':project', seg(opts.project)).replace(':env', seg(opts.env)), body, opts);
      });
  };
  deployCommand('deploy', 'deploy a release to an environment (a request for approval on a protected one)', 'api/projects/:project/environments/:env/deployments', 'required');
  deployCommand(
    'rollback',
    'deploy the release that was live before the current one (or --release); needs approval like a deploy',
    'api/projects/:project/environments/:env/rollback',
    'optional',
  );
}

function verbOf(kind: DeployResult['kind']): string {
  switch (kind) {
    case 'deploy':
      return 'deployed';
    case 'rollback':
      return 'rolled back';
    default:
      return assertNever(kind, 'deployment kind');
  }
}

function waitedFor(wait: NonNullable<DeployResult['wait']>): string {
  if (wait.checked === 0) return wait.for === 'replicas' ? 'no standby is attached, nothing to wait for' : 'no live node reports, nothing to wait for';
  const things = wait.for === 'replicas' ? `${wait.checked} standby${wait.checked === 1 ? '' : 's'}` : `${wait.checked} node${wait.checked === 1 ? '' : 's'}`;
  return wait.for === 'replicas' ? `replayed by ${things}` : `served by ${things}`;
}
