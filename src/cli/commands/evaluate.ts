import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { EvaluateResponse } from '../../data-plane/http/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../io.js';
import { printJson } from '../output.js';
import { printTrace } from '../trace.js';

export function registerEvaluateCommand(program: Command, ctx: CommandContext): void {
  program
    .command('evaluate <key>')
    .description('evaluate a decision over HTTP with an evaluation token (smoke tests in pipelines)')
    .requiredOption('--project <project>', 'project key')
    .option('--env <env>', "environment (default: the token's)")
    .option('--context <json>', 'input as JSON', '{}')
    .option('--context-file <file>', 'input from a JSON file')
    .option('--trace', 'include the per-node trace (a table after the result; all of it with --json)')
    .option('--access-token <token>', 'evaluation token (env VERDICT_ACCESS_TOKEN)')
    .action(async (key: string, opts: { project: string; env?: string; context: string; contextFile?: string; trace?: boolean; accessToken?: string }, cmd: Command) => {
      const token = opts.accessToken ?? ctx.io.env.VERDICT_ACCESS_TOKEN;
      if (!token) throw usageError('an evaluation token is required: --access-token or VERDICT_ACCESS_TOKEN');
      const context = readContext(ctx, opts);
      // Evaluation takes the environment's evaluation token, not an API token.
      const client = ctx.client(cmd, { headers: { 'x-access-token': token } });
      const where = opts.env ? `environments/${seg(opts.env)}/` : '';
      const response = await client.post<EvaluateResponse>(`api/projects/${seg(opts.project)}/${where}evaluate/${key.split('/').map(seg).join('/')}`, {
        context,
        ...(opts.trace ? { trace: true } : {}),
      });
      if (ctx.json(cmd)) return printJson(ctx.io, response);
      printJson(ctx.io, response.result);
      if (opts.trace) {
        ctx.io.stdout('\n');
        printTrace(ctx.io, response.trace);
      }
      ctx.io.stderr(`${response.details.environment} ${response.details.releaseLabel}, ${response.performance}\n`);
    });
}

/** The input from --context or --context-file; one that is not a JSON object is a usage error. */
function readContext(ctx: CommandContext, opts: { context: string; contextFile?: string }): Record<string, unknown> {
  const source = opts.contextFile ? `--context-file ${opts.contextFile}` : '--context';
  let text = opts.context;
  if (opts.contextFile) {
    try {
      text = readFileSync(path.resolve(ctx.io.cwd, opts.contextFile), 'utf8');
    } catch (error) {
      throw usageError(`cannot read ${opts.contextFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  }
  let context: unknown;
  try {
    context = JSON.parse(text);
  } catch (error) {
    throw usageError(`the context is not valid JSON (${source}: ${(error as Error).message})`);
  }
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw usageError(`the context must be a JSON object ({"field": value, ...}), not ${Array.isArray(context) ? 'an array' : JSON.stringify(context)} (${source})`);
  }
  return context as Record<string, unknown>;
}
