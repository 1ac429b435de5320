import type { Command } from 'commander';
import type { DeployResult } from '../../control-plane/deployments/schemas.js';
import { assertNever } from '../../lib/assert-never.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError, usageError } from '../io.js';
import { parsePositive } from '../options.js';
import { printJson } from '../output.js';

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
