import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerEvaluateCommand } from './commands/evaluate.js';
import { registerTestCommand } from './commands/test.js';
import { registerFleetCommand } from './commands/fleet.js';
import { registerDecisionCommands } from './commands/decisions.js';
import { registerDeploymentCommands } from './commands/deploy.js';
import { registerApprovalCommands } from './commands/approvals.js';
import { registerEnvironmentCommands } from './commands/environments.js';
import { registerProjectCommands } from './commands/projects.js';
import { registerReleaseCommands } from './commands/releases.js';
import { registerPackageCommands } from './commands/packages.js';
import { registerServeCommands } from './commands/serve.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerWebhookCommands, webhookUrlArgs } from './commands/webhooks.js';
import { registerLabCommands } from './commands/lab.js';
import { registerDrCommands } from './commands/dr.js';
import { CommandContext } from './context.js';
import { CliError, EXIT, processIo, type CliIo } from './io.js';
import { printJson } from './output.js';
import { describeProblemItem } from './problems.js';

export function createProgram(io: CliIo): Command {
  const program = new Command('verdict')
    .description('Verdict: self-hosted business rules management (GoRules JDM decisions, releases, environments)')
    .version(VERSION, '-V, --version')
    .option('--url <url>', 'Verdict server URL (env VERDICT_URL, default http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (env VERDICT_TOKEN)')
    .option('--json', 'machine-readable JSON output')
    .option('--timeout <ms>', 'give up on a request not answered after this long, retries included (env VERDICT_TIMEOUT_MS, default 120000; --wait adds its own timeout)')
    .addHelpText('after', '\nRun verdict <command> --help for the options of a command.')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  const ctx = new CommandContext(io);
  registerServeCommands(program, ctx);
  registerProjectCommands(program, ctx);
  registerDecisionCommands(program, ctx);
  registerTestCommand(program, ctx);
  registerPackageCommands(registerReleaseCommands(program, ctx), program, ctx);
  registerEnvironmentCommands(program, ctx);
  registerDeploymentCommands(program, ctx);
  registerApprovalCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerWebhookCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerEvaluateCommand(program, ctx);
  registerFleetCommand(program, ctx);
  registerLabCommands(program, ctx);
  registerDrCommands(program, ctx);
  for (const cmd of allCommands(program)) cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/**
 * One line on stderr. A server problem that lists several errors (every invalid graph of a push)
 * lists each on its own line; with --json the whole problem document goes to stdout for scripts.
 */
function reportError(io: CliIo, error: CliError, json: boolean): void {
  const errors = error.problem?.errors ?? [];
  if (json && error.problem) printJson(io, error.problem);
  if (json || errors.length < 2) {
    io.stderr(`verdict: ${error.message}\n`);
    return;
  }
  io.stderr(`verdict: ${error.problem?.title ?? 'Request failed'}: ${errors.length} problems\n`);
  for (const item of errors) io.stderr(`  ${describeProblemItem(item)}\n`);
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Runs the CLI and returns its exit code; errors become one line on stderr. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(webhookUrlArgs(argv));
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message (or the help/version text).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      reportError(io, error, Boolean(program.opts<{ json?: boolean }>().json));
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`verdict: ${message.split('\n')[0]}\n`);
    return EXIT.error;
  }
}
