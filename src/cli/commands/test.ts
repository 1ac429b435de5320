import type { Command } from 'commander';
import type { TestRun } from '../../control-plane/decision-tests/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../io.js';
import { printJson } from '../output.js';
import { printRun } from './test-output.js';

/** Exit codes of `verdict test`, documented in --help and the README: pipelines gate on them. */
export const TEST_EXIT = { passed: EXIT.ok, failed: EXIT.error } as const;

const TEST_HELP = `
Test cases are stored in each decision's JDM document, as the JDM corpus stores them:
  "tests": [{ "name": "gold customer", "input": { ... }, "output": { ... } }]
next to "nodes" and "edges" (push them with verdict decision push). A case passes when the
decision's result for input equals output as JSON (same keys and values, key order ignored).
Each case is evaluated in the server's isolated engine lane, with the evaluation deadline; an
engine error or a timeout fails the case.

Exit codes (also with --json, which prints the whole run first):
  0  every case passed (also when no decision has test cases)
  1  a case failed (PASS/FAIL lines, a diff under each failure, a summary line), or any other
     error (one line on stderr: an unknown project, release or decision, too many cases)
  2  usage errors`;

export function registerTestCommand(program: Command, ctx: CommandContext): void {
  program
    .command('test')
    .description("run the test cases stored in a project's decisions (the latest saved versions, or a release's)")
    .requiredOption('--project <project>', 'project key')
    .option('--release <release>', "run a release's tests (id, label or latest) instead of the latest saved versions")
    .option('--decision <key>', 'only this decision (repeat for more; default: every decision)', (key: string, keys: string[]) => [...keys, key], [] as string[])
    .addHelpText('after', TEST_HELP)
    .action(async (opts: { project: string; release?: string; decision: string[] }, cmd: Command) => {
      // A run writes nothing, so the client's retries (a busy server's 503, a lost answer) just run it again.
      const run = await ctx.client(cmd).post<TestRun>(`api/projects/${seg(opts.project)}/tests/run`, {
        ...(opts.release ? { release: opts.release } : {}),
        ...(opts.decision.length ? { decisions: opts.decision } : {}),
      });
      if (ctx.json(cmd)) printJson(ctx.io, run);
      else printRun(ctx.io, run);
      if (!run.passed) {
        const { failed, cases } = run.totals;
        throw new CliError(`${failed} of ${cases} test case${cases === 1 ? '' : 's'} failed`, TEST_EXIT.failed);
      }
    });
}
