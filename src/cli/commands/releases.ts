import type { Command } from 'commander';
import type { Release, ReleaseDetail, ReleaseDiff } from '../../control-plane/releases/schemas.js';
import { ApiError, seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError, usageError } from '../io.js';
import { printFields, printJson, printTable, shortHash, when } from '../output.js';
import { contentDiffLines } from './diff-output.js';
import { printGateFailures, type GateFailure } from './test-output.js';

export function registerReleaseCommands(program: Command, ctx: CommandContext): Command {
  const release = program.command('release').description("cut, list, show and compare releases (immutable snapshots of a project's decisions)");

  release
    .command('create')
    .description("cut a release from the project's current decisions")
    .requiredOption('--project <project>', 'project key')
    .option('--label <label>', 'version label (default: v<sequence>)')
    .option('--notes <notes>', 'release notes')
    .option('--require-tests', "run every decision's test cases first; cut the release only if all pass, from exactly the contents tested")
    .addHelpText(
      'after',
      '\nWith --require-tests a failing case refuses the release (nothing is written): the failing cases are\nlisted as verdict test lists them, and the exit code is 1. See verdict test --help for test cases.',
    )
    .action(async (opts: { project: string; label?: string; notes?: string; requireTests?: boolean }, cmd: Command) => {
      let created: ReleaseDetail;
      try {
        created = await ctx.client(cmd).post<ReleaseDetail>(`api/projects/${seg(opts.project)}/releases`, {
          ...(opts.label ? { label: opts.label } : {}),
          ...(opts.notes ? { notes: opts.notes } : {}),
          ...(opts.requireTests ? { requireTests: true } : {}),
        });
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== 'tests-failed' || ctx.json(cmd)) throw error;
        const problem = error.problem!;
        printGateFailures(ctx.io, (problem.errors ?? []) as GateFailure[], typeof problem.unlisted === 'number' ? problem.unlisted : 0);
        throw new CliError(error.message);
      }
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      const tested = created.tests ? `; all ${created.tests.cases} test case${created.tests.cases === 1 ? '' : 's'} of ${created.tests.decisions} decision${created.tests.decisions === 1 ? '' : 's'} passed` : '';
      ctx.io.stdout(`created release ${created.label} (${created.id}) with ${created.decisionCount} decision${created.decisionCount === 1 ? "" : "s"}, hash ${shortHash(created.contentHash)}${tested}\n`);
    });

  release
    .command('list')
    .description('list releases, newest first')
    .requiredOption('--project <project>', 'project key')
    .action(async (opts: { project: string }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<Release[]>(`api/projects/${seg(opts.project)}/releases`);
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'label', value: (r) => r.label },
        { header: 'id', value: (r) => r.id },
        { header: 'decisions', value: (r) => r.decisionCount },
        { header: 'hash', value: (r) => shortHash(r.contentHash) },
        { header: 'created', value: (r) => when(r.createdAt) },
        { header: 'by', value: (r) => r.createdBy },
      ], '(no releases: verdict release create --project <project>)');
    });

  release
    .command('show <release>')
    .description('show a release (id, label or latest) and its decision versions')
    .requiredOption('--project <project>', 'project key')
    .action(async (ref: string, opts: { project: string }, cmd: Command) => {
      const found = await ctx.client(cmd).get<ReleaseDetail>(`api/projects/${seg(opts.project)}/releases/${seg(ref)}`);
      if (ctx.json(cmd)) return printJson(ctx.io, found);
      printFields(ctx.io, {
        label: found.label,
        id: found.id,
        hash: found.contentHash,
        created: when(found.createdAt),
        by: found.createdBy,
        notes: found.notes || '-',
      });
      ctx.io.stdout('\n');
      printTable(ctx.io, found.decisions, [
        { header: 'key', value: (d) => d.key },
        { header: 'version', value: (d) => d.version },
        { header: 'hash', value: (d) => shortHash(d.contentHash) },
      ]);
    });

  release
    .command('diff [release] [target]')
    .description('compare two releases: decisions added, changed and removed; with --content, what changed inside each')
    .requiredOption('--project <project>', 'project key')
    .option('--base <release>', 'the release to compare against; [release] is then the one compared (default: latest)')
    .option('--content', 'also show what changed inside each changed decision: nodes, rules and cells, expressions, branches, code')
    .addHelpText(
      'after',
      `
Two ways to name the releases (an id, a label, or latest):
  verdict release diff v3 --base v1 --project P     v1 -> v3
  verdict release diff v1 [v3] --project P          v1 -> v3 (v3 defaults to latest)
With --content each changed decision is followed by its changes, as 'verdict decision diff' shows
them (the first 100 changed decisions; the rest are counted). --json prints the API's answer.`,
    )
    .action(async (first: string | undefined, second: string | undefined, opts: { project: string; base?: string; content?: boolean }, cmd: Command) => {
      let base: string;
      let target: string;
      if (opts.base !== undefined) {
        if (second !== undefined) throw usageError('with --base, name one release to compare (or none for latest), not two');
        [base, target] = [opts.base, first ?? 'latest'];
      } else {
        if (first === undefined) throw usageError('name the base release: release diff <release> --base <base>, or release diff <base> [target]');
        [base, target] = [first, second ?? 'latest'];
      }
      const diff = await ctx.client(cmd).get<ReleaseDiff>(`api/projects/${seg(opts.project)}/releases/${seg(target)}/diff`, {
        base,
        content: opts.content ? true : undefined,
      });
      if (ctx.json(cmd)) return printJson(ctx.io, diff);
      const out = (line: string) => ctx.io.stdout(`${line}\n`);
      out(`${diff.base.label} -> ${diff.target.label}`);
      for (const a of diff.added) out(`  + ${a.key} (v${a.version})`);
      for (const c of diff.changed) {
        out(`  ~ ${c.key} (v${c.baseVersion} -> v${c.targetVersion})`);
        for (const line of c.content ? contentDiffLines(c.content) : []) out(`      ${line}`);
      }
      for (const r of diff.removed) out(`  - ${r.key} (was v${r.version})`);
      if (diff.contentOmitted) out(`  (${diff.contentOmitted} more changed decisions shown without their changes: see verdict decision diff <key>)`);
      out(`${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.unchanged} unchanged`);
    });
  return release;
}
