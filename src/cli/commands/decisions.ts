import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { DecisionDiff, DecisionVersion, DecisionVersionSummary, RenameDecisionResult, SaveDecisionsResult } from '../../control-plane/decisions/schemas.js';
import type { ReleaseDetail } from '../../control-plane/releases/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError, usageError } from '../io.js';
import { parsePositive } from '../options.js';
import { printJson, printTable, shortHash, when } from '../output.js';
import { contentDiffLines } from './diff-output.js';

interface LocalDecision {
  key: string;
  file: string;
  content: unknown;
}

/** JSON files under a folder, keyed by their path without `.json`; dot-folders such as .config are skipped. */
function collect(root: string, prefix: string): LocalDecision[] {
  const found: LocalDecision[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.json')) {
        const relative = path.relative(root, full).split(path.sep).join('/');
        found.push({ key: prefix + relative.replace(/\.json$/, ''), file: full, content: readJson(full) });
      }
    }
  };
  walk(root);
  return found;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function outputPath(dir: string, key: string): string {
  const root = path.resolve(dir);
  const file = path.resolve(root, `${key}.json`);
  // Keys are checked by the server; this guards against a hostile server anyway.
  if (!file.startsWith(root + path.sep)) throw new CliError(`refusing to write decision '${key}' outside ${root}`);
  return file;
}

export function registerDecisionCommands(program: Command, ctx: CommandContext): void {
  const decision = program.command('decision').description('push, pull and inspect decisions (JDM graphs)');

  decision
    .command('push <path>')
    .description('save a JDM file, or every .json file under a folder, as new decision versions (one transaction)')
    .requiredOption('--project <project>', 'project key')
    .option('--key <key>', 'decision key for a single file (default: the file name without .json)')
    .option('--prefix <prefix>', "key prefix for files pushed from a folder (e.g. 'pricing/')", '')
    .option('-m, --message <message>', 'why these versions are saved')
    .action(async (target: string, opts: { project: string; key?: string; prefix: string; message?: string }, cmd: Command) => {
      const full = path.resolve(ctx.io.cwd, target);
      let stat;
      try {
        stat = statSync(full);
      } catch {
        throw usageError(`${target} does not exist`);
      }
      let decisions: LocalDecision[];
      if (stat.isDirectory()) {
        if (opts.key) throw usageError('--key applies to a single file; use --prefix for a folder');
        decisions = collect(full, opts.prefix);
        if (decisions.length === 0) throw new CliError(`no .json files under ${target}`);
      } else {
        decisions = [{ key: opts.key ?? opts.prefix + path.basename(full).replace(/\.json$/, ''), file: full, content: readJson(full) }];
      }
      const result = await ctx.client(cmd).post<SaveDecisionsResult>(`api/projects/${seg(opts.project)}/decisions`, {
        decisions: decisions.map((d) => ({ key: d.key, content: d.content })),
        ...(opts.message ? { message: opts.message } : {}),
      });
      if (ctx.json(cmd)) return printJson(ctx.io, result);
      for (const r of result.results) ctx.io.stdout(`${r.unchanged ? 'unchanged' : 'saved    '}  ${r.key}  v${r.version}  ${shortHash(r.contentHash)}\n`);
      ctx.io.stdout(`${result.saved} saved, ${result.unchanged} unchanged\n`);
    });

  decision
    .command('pull [keys...]')
    .description('write decisions to files (<dir>/<key>.json); all current decisions when no key is given')
    .requiredOption('--project <project>', 'project key')
    .option('--release <release>', 'take the decisions as released (id, label or latest)')
    .option('--at <version>', 'a specific version number (single key only)', (v) => parsePositive(v, '--at'))
    .option('-o, --output <dir>', "folder to write into, or '-' for stdout (single key)", '.')
    .action(async (keys: string[], opts: { project: string; release?: string; at?: number; output: string }, cmd: Command) => {
      const client = ctx.client(cmd);
      const project = seg(opts.project);
      if (opts.at !== undefined && (keys.length !== 1 || opts.release)) {
        throw usageError('--at needs exactly one key and no --release');
      }
      if (keys.length === 0) {
        keys = opts.release
          ? (await client.get<ReleaseDetail>(`api/projects/${project}/releases/${seg(opts.release)}`)).decisions.map((d) => d.key)
          : (await client.get<DecisionVersionSummary[]>(`api/projects/${project}/decisions`)).map((d) => d.key);
      }
      if (opts.output === '-' && keys.length !== 1) throw usageError("'-o -' (stdout) needs exactly one key");
      const written: { key: string; version: number; file: string }[] = [];
      for (const key of keys) {
        const found = opts.release
          ? await client.get<DecisionVersion>(`api/projects/${project}/releases/${seg(opts.release)}/decisions/${seg(key)}`)
          : opts.at !== undefined
            ? await client.get<DecisionVersion>(`api/projects/${project}/decisions/${seg(key)}/versions/${opts.at}`)
            : await client.get<DecisionVersion>(`api/projects/${project}/decisions/${seg(key)}`);
        if (found.content === null) throw new CliError(`version ${found.version} of '${key}' is a deletion; it has no content`);
        const text = `${JSON.stringify(found.content, null, 2)}\n`;
        if (opts.output === '-') {
          ctx.io.stdout(text);
          return;
        }
        const file = outputPath(path.resolve(ctx.io.cwd, opts.output), found.key);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
        written.push({ key: found.key, version: found.version, file });
      }
      if (ctx.json(cmd)) return printJson(ctx.io, written);
      for (const w of written) ctx.io.stdout(`${w.key}  v${w.version}  -> ${path.relative(ctx.io.cwd, w.file) || w.file}\n`);
    });

  decision
    .command('list')
    .description("list a project's decisions (latest versions)")
    .requiredOption('--project <project>', 'project key')
    .option('--deleted', 'include deleted decisions')
    .action(async (opts: { project: string; deleted?: boolean }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<DecisionVersionSummary[]>(`api/projects/${seg(opts.project)}/decisions`, {
        includeDeleted: opts.deleted ? true : undefined,
      });
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'key', value: (d) => d.key },
        { header: 'version', value: (d) => d.version },
        { header: 'hash', value: (d) => (d.deleted ? 'deleted' : shortHash(d.contentHash)) },
        { header: 'saved', value: (d) => when(d.createdAt) },
        { header: 'by', value: (d) => d.author },
      ], '(no decisions: verdict decision push <file|dir> --project <project>)');
    });

  decision
    .command('history <key>')
    .description("a decision's versions, newest first")
    .requiredOption('--project <project>', 'project key')
    .action(async (key: string, opts: { project: string }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<DecisionVersionSummary[]>(`api/projects/${seg(opts.project)}/decisions/${seg(key)}/versions`);
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'version', value: (d) => d.version },
        { header: 'hash', value: (d) => (d.deleted ? 'deleted' : shortHash(d.contentHash)) },
        { header: 'saved', value: (d) => when(d.createdAt) },
        { header: 'by', value: (d) => d.author },
        { header: 'message', value: (d) => d.message },
      ]);
    });

  decision
    .command('diff <key>')
    .description('what changed in a decision between two versions: nodes, edges, table rules and cells, expressions, branches, code')
    .requiredOption('--project <project>', 'project key')
    .requiredOption('--from <version>', 'the version to compare from (see decision history)', (v) => parsePositive(v, '--from'))
    .option('--to <version>', 'the version to compare to (default: the latest)', (v) => parsePositive(v, '--to'))
    .addHelpText(
      'after',
      `
Lines read like a patch: + added, - removed, ~ changed. For example:
  + node "Fraud check" (functionNode)
  ~ node "Pricing table" (decisionTableNode)
      + rule 9 (id r9): "Age" "> 65"; "Discount" "0.2"
      rule 3 (id r3): cell "Age": "> 18" -> ">= 18"
  - edge "Request" -> "Old check"
A function's code is shown as a unified diff. Nodes that only moved on the canvas are listed on
one line (layout only). At most 1000 changes are listed; the summary counts all of them.
--json prints the API's answer (GET /api/projects/{project}/decisions/{key}/diff).`,
    )
    .action(async (key: string, opts: { project: string; from: number; to?: number }, cmd: Command) => {
      const found = await ctx.client(cmd).get<DecisionDiff>(`api/projects/${seg(opts.project)}/decisions/${seg(key)}/diff`, { from: opts.from, to: opts.to });
      if (ctx.json(cmd)) return printJson(ctx.io, found);
      ctx.io.stdout(`${found.key}: v${found.from.version} -> v${found.to.version}\n`);
      for (const line of contentDiffLines(found.diff)) ctx.io.stdout(`${line}\n`);
    });

  decision
    .command('rename <key> <to>')
    .description('rename a decision or move it to another folder (one transaction; its history moves with it)')
    .requiredOption('--project <project>', 'project key')
    .addHelpText(
      'after',
      `
Releases made before keep the old key. Refused (exit 1) when <to> is taken, also by a deleted
decision, or while another decision calls <key> as a sub-decision.
Example: verdict decision rename pricing/discount pricing/2027/discount --project shop`,
    )
    .action(async (key: string, to: string, opts: { project: string }, cmd: Command) => {
      const result = await ctx.client(cmd).post<RenameDecisionResult>(`api/projects/${seg(opts.project)}/decisions/${seg(key)}/rename`, { to }, { retry: true });
      if (ctx.json(cmd)) return printJson(ctx.io, result);
      ctx.io.stdout(`renamed ${result.renamedFrom} to ${result.key} (version ${result.version})\n`);
    });

  decision
    .command('delete <key>')
    .description('delete a decision (a tombstone version; history and earlier releases keep it)')
    .requiredOption('--project <project>', 'project key')
    .action(async (key: string, opts: { project: string }, cmd: Command) => {
      const result = await ctx.client(cmd).delete<DecisionVersionSummary>(`api/projects/${seg(opts.project)}/decisions/${seg(key)}`);
      if (ctx.json(cmd)) return printJson(ctx.io, result);
      ctx.io.stdout(`deleted ${result.key} (tombstone version ${result.version})\n`);
    });
}

// dr.ts and lab.ts (being reworked on another branch) still import it from here.
export { parsePositive };
