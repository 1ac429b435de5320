import type { Command } from 'commander';
import type { Release, ReleaseDetail, ReleaseDiff } from '../../control-plane/releases/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { printFields, printJson, printTable, shortHash, when } from '../output.js';

export function registerReleaseCommands(program: Command, ctx: CommandContext): Command {
  const release = program.command('release').description("cut, list, show and compare releases (immutable snapshots of a project's decisions)");

  release
    .command('create')
    .description("cut a release from the project's current decisions")
    .requiredOption('--project <project>', 'project key')
    .option('--label <label>', 'version label (default: v<sequence>)')
    .option('--notes <notes>', 'release notes')
    .action(async (opts: { project: string; label?: string; notes?: string }, cmd: Command) => {
      const created = await ctx.client(cmd).post<ReleaseDetail>(`api/projects/${seg(opts.project)}/releases`, {
        ...(opts.label ? { label: opts.label } : {}),
        ...(opts.notes ? { notes: opts.notes } : {}),
      });
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      ctx.io.stdout(`created release ${created.label} (${created.id}) with ${created.decisionCount} decision${created.decisionCount === 1 ? "" : "s"}, hash ${shortHash(created.contentHash)}\n`);
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
    .command('diff <base> [target]')
    .description('what changed from release <base> to [target] (default: latest)')
    .requiredOption('--project <project>', 'project key')
    .action(async (base: string, target: string | undefined, opts: { project: string }, cmd: Command) => {
      const diff = await ctx.client(cmd).get<ReleaseDiff>(`api/projects/${seg(opts.project)}/releases/${seg(target ?? 'latest')}/diff`, { base });
      if (ctx.json(cmd)) return printJson(ctx.io, diff);
      ctx.io.stdout(`${diff.base.label} -> ${diff.target.label}\n`);
      for (const a of diff.added) ctx.io.stdout(`  + ${a.key} (v${a.version})\n`);
      for (const c of diff.changed) ctx.io.stdout(`  ~ ${c.key} (v${c.baseVersion} -> v${c.targetVersion})\n`);
      for (const r of diff.removed) ctx.io.stdout(`  - ${r.key} (was v${r.version})\n`);
      ctx.io.stdout(`${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.unchanged} unchanged\n`);
    });
  return release;
}
