import type { AfterRestoreReport } from '../../dr/after-restore.js';
import type { GenerationSighting } from '../../dr/generation-floor.js';
import type { BackupStatus, BackupSummary } from '../../dr/backup-status.js';
import type { PatroniRegionStatus } from '../../dr/patroni-status.js';
import type { PromoteReport } from '../../dr/promote.js';
import type { PatroniPromoteReport } from '../../dr/promote-patroni.js';
import type { RejoinReport } from '../../dr/rejoin.js';
import type { DrStatus } from '../../dr/status.js';
import type { TimelineStep } from '../../dr/timeline.js';
import type { ReplicationReport } from '../../pg-admin/replication.js';
import type { CommandContext } from '../context.js';
import type { CliIo } from '../io.js';
import { printFields, printTable, when } from '../output.js';

export function describeReplication(report: ReplicationReport): string {
  const mode = report.applied.mode === 'async' ? 'async replication' : `${report.applied.mode} replication, ${report.applied.standbys} confirming standby(s)`;
  return `${mode} (synchronous_standby_names = '${report.synchronousStandbyNames}', synchronous_commit = ${report.synchronousCommit})`;
}

export function fencedServers(status: DrStatus): string {
  return status.servers
    .filter((s) => s.fenced)
    .map((s) => `${s.region} (generation ${s.generation ?? 'none'})`)
    .join(', ');
}

export function printStatus(ctx: CommandContext, status: DrStatus): void {
  const primary = status.servers.find((s) => s.region === status.primary);
  ctx.io.stdout(
    status.primary
      ? `primary: ${status.primary} (timeline ${primary?.timeline ?? '?'}, cluster generation ${primary?.generation ?? '?'})\n`
      : status.splitBrain.length > 0
        ? 'primary: NONE (split brain)\n'
        : 'primary: NONE reachable\n',
  );
  if (status.splitBrain.length > 0) {
    ctx.io.stdout(`SPLIT BRAIN: ${status.splitBrain.join(', ')} are writable with the same cluster generation ${status.highestGeneration ?? '(none)'}: Verdict nodes write to neither\n`);
  }
  if (status.fenced.length > 0) {
    ctx.io.stdout(
      `FENCED: ${fencedServers(status)} writable with a generation older than ${status.highestGeneration}: an old primary that came back, refused by Verdict nodes; ` +
        `make it a standby${status.primary ? '' : ' once a primary is promoted'}: verdict dr rejoin --region ${status.fenced[0]}\n`,
    );
  }
  if (status.replication) {
    ctx.io.stdout(`replication: ${status.replication.mode} (synchronous_standby_names = '${status.replication.synchronousStandbyNames}', synchronous_commit = ${status.replication.synchronousCommit})\n`);
  }
  if (status.rpoExposure) {
    const e = status.rpoExposure;
    ctx.io.stdout(
      `RPO exposure now: ${e.bytes === null ? 'everything since the last standby contact (no standby streams)' : `${e.bytes} bytes not yet flushed on any standby${e.seconds ? ` (${e.seconds.toFixed(3)} s)` : ''}`}; ` +
        `acknowledged commits at risk: ${e.acknowledgedCommitsAtRisk ? 'YES (async)' : 'no (a standby confirmed each one)'}\n`,
    );
  }
  ctx.io.stdout('\n');
  printTable(ctx.io, status.servers, [
    { header: 'region', value: (s) => s.region },
    { header: 'role', value: (s) => (s.role === 'unreachable' ? 'UNREACHABLE' : s.fenced ? 'FENCED' : status.splitBrain.includes(s.region) ? 'SPLIT' : s.role) },
    { header: 'tl', value: (s) => s.timeline },
    { header: 'gen', value: (s) => s.generation },
    { header: 'lsn', value: (s) => (s.role === 'primary' ? s.currentLsn : s.replayLsn) },
    { header: 'upstream', value: (s) => (s.role === 'standby' ? `${s.upstream ?? '?'}${s.streaming ? '' : ' (NOT STREAMING)'}` : undefined) },
    { header: 'sync', value: (s) => s.syncState },
    { header: 'lag bytes', value: (s) => s.replayLagBytes },
    { header: 'lag s', value: (s) => (s.replayLagSeconds === null ? undefined : s.replayLagSeconds.toFixed(3)) },
  ]);
  if (status.slots.length > 0) {
    ctx.io.stdout(`\nslots on the primary: ${status.slots.map((s) => `${s.name} (${s.active ? 'active' : 'INACTIVE'})`).join(', ')}\n`);
  }
  for (const region of status.patroni ?? []) {
    ctx.io.stdout('\n');
    printPatroniRegion(ctx.io, region);
  }
  ctx.io.stdout('\n');
  if (!status.fleet) {
    ctx.io.stdout(`fleet: unknown (${status.fleetError ?? 'no answer'})\n`);
    return;
  }
  const envs = status.fleet.environments;
  printTable(
    ctx.io,
    status.fleet.nodes,
    [
      { header: 'node', value: (n) => n.nodeId },
      { header: 'region', value: (n) => n.region },
      { header: 'db', value: (n) => n.dbRole },
      { header: 'seen', value: (n) => (n.stale ? 'STALE' : 'live') },
      {
        header: 'serves',
        value: (n) =>
          envs
            .map((e) => {
              const entry = e.nodes.find((x) => x.nodeId === n.nodeId);
              return `${e.project}/${e.environment}=${entry?.releaseLabel ?? '-'}${entry && entry.status !== 'in-sync' ? ` (${entry.status})` : ''}`;
            })
            .join(' ') || '-',
      },
    ],
    '(no node has reported)',
  );
}

/** The one line that sums up a region's Patroni view: who leads (or plainly that no one does), the synchronous standby. */
export function patroniHeadline(region: PatroniRegionStatus): string {
  const from = region.viewFrom ? ` (as ${region.viewFrom} sees it)` : '';
  const paused = region.paused ? '; PAUSED (maintenance mode: Patroni does not fail over)' : '';
  if (region.health === 'unreachable') return `patroni ${region.region}: UNREACHABLE: ${region.error ?? 'no member answered'}; leader unknown`;
  const leader =
    region.health === 'no-leader'
      ? 'NO LEADER: no member holds the leader lock'
      : region.leaderRole === 'standby_leader'
        ? `standby leader ${region.leader} of a standby cluster`
        : `leader ${region.leader}`;
  const sync = region.syncStandbys.length > 0 ? `, synchronous standby ${region.syncStandbys.join(', ')}` : region.standbyCluster ? '' : ', no synchronous standby';
  return `patroni ${region.region}: ${leader}${sync}${paused}${from}`;
}

/** A region's Patroni view: the headline, then every member as /cluster has it and whether its REST API answered. */
export function printPatroniRegion(io: CliIo, region: PatroniRegionStatus): void {
  io.stdout(`${patroniHeadline(region)}\n`);
  printTable(io, region.members, [
    { header: 'member', value: (m) => m.name ?? '?' },
    { header: 'role', value: (m) => m.role ?? '?' },
    { header: 'state', value: (m) => m.state ?? '?' },
    { header: 'host', value: (m) => (m.host === null ? undefined : m.port === null ? m.host : `${m.host}:${m.port}`) },
    { header: 'tl', value: (m) => m.timeline },
    { header: 'lag bytes', value: (m) => (m.lagBytes !== null ? m.lagBytes : m.name === null || m.name === region.leader ? undefined : 'unknown') },
    {
      header: 'rest api',
      value: (m) => `${m.api}${m.rest === 'unreachable' ? ` UNREACHABLE (${m.restError ?? 'no answer'})` : m.rest === 'not-listed' ? ' (not in the topology: not asked)' : ''}`,
    },
  ]);
  for (const warning of region.warnings) io.stdout(`warning: ${warning}\n`);
}

function printSteps(ctx: CommandContext, steps: readonly TimelineStep[]): void {
  printTable(ctx.io, steps, [
    { header: 'at ms', value: (s) => s.startedAtMs },
    { header: 'took ms', value: (s) => s.tookMs },
    { header: 'step', value: (s) => (s.failed === undefined ? s.step : `${s.step}: FAILED, ${s.failed}`) },
  ]);
}

export function printPromote(ctx: CommandContext, report: PromoteReport): void {
  printSteps(ctx, report.steps);
  ctx.io.stdout(
    `\npromoted ${report.promoted} in ${report.totalMs} ms: timeline ${report.timeline ?? '?'}, cluster generation ${report.generation}; old primary ${report.oldPrimary}: ${report.oldPrimaryFence}\n`,
  );
  for (const s of report.standbys) ctx.io.stdout(`  ${s.region}: ${s.outcome}${s.detail ? ` (${s.detail})` : ''}\n`);
  ctx.io.stdout(`${describeReplication(report.replication)}\n`);
  if (report.replication.degraded) ctx.io.stdout(`note: ${report.replication.degraded}\n`);
  if (report.standbys.some((s) => s.outcome === 'unreachable') || report.oldPrimaryFence.startsWith('confirmed')) {
    ctx.io.stdout(`when ${report.oldPrimary} is back: verdict dr rejoin --region ${report.oldPrimary}\n`);
  }
}

function printSightings(ctx: CommandContext, sightings: readonly GenerationSighting[]): void {
  for (const s of sightings) ctx.io.stdout(`  node ${s.source}: ${s.generation === null ? `no generation known${s.error ? ` (${s.error})` : ''}` : `had seen generation ${s.generation}`}\n`);
}

export function printPatroniPromote(ctx: CommandContext, report: PatroniPromoteReport): void {
  printSteps(ctx, report.steps);
  ctx.io.stdout(
    `\npromoted ${report.promoted} in ${report.totalMs} ms: Patroni leader ${report.leader}, timeline ${report.timeline ?? '?'}, cluster generation ${report.generation}; old primary ${report.oldPrimary}: ${report.oldPrimaryState}\n`,
  );
  printSightings(ctx, report.nodesSeen);
  ctx.io.stdout(`when ${report.oldPrimary} is back: make it a standby cluster of ${report.promoted} (docs/production.md) before its members start PostgreSQL as primary\n`);
}

export function printAfterRestore(ctx: CommandContext, report: AfterRestoreReport): void {
  printSteps(ctx, report.steps);
  ctx.io.stdout(`\n${report.region}: cluster generation ${report.restoredGeneration ?? 'none'} (restored) -> ${report.generation}, above every one seen\n`);
  printSightings(ctx, report.nodesSeen);
}

export function printRejoin(ctx: CommandContext, report: RejoinReport): void {
  printSteps(ctx, report.steps);
  ctx.io.stdout(`\n${report.region} is a standby of ${report.primary} (${report.method}) in ${report.totalMs} ms\n`);
  ctx.io.stdout(`${describeReplication(report.replication)}\n`);
}

/** 23005184 -> `21.9 MiB`. */
export function bytes(n: number | null): string {
  if (n === null) return '?';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function describeBackup(b: BackupSummary | null): string {
  if (!b) return 'none';
  const repo = b.repositorySizeBytes === null ? '' : ` (${bytes(b.type === 'full' ? b.repositorySizeBytes : b.repositoryDeltaBytes)} in the repository)`;
  return `${b.label} (${b.type}), stopped ${when(b.stoppedAt)}, ${bytes(b.sizeBytes)}${repo}, WAL ${b.walStart ?? '?'} .. ${b.walStop ?? '?'}${b.checksumErrors ? ', CHECKSUM ERRORS' : ''}`;
}

/** `dr backup-status` as text: the status line, then what pgBackRest knows of the stanza. */
export function printBackupStatus(io: CliIo, status: BackupStatus): void {
  const where = `${status.region ? `region ${status.region}, ` : ''}stanza ${status.stanza}, ${status.config ?? "pgBackRest's default configuration"}`;
  io.stdout(`status: ${status.message} (${where})\n`);
  if (status.pgbackrest !== null) {
    printFields(io, {
      'last full backup': describeBackup(status.lastFull),
      'latest backup': status.latest && status.latest.label === status.lastFull?.label ? 'the last full backup' : describeBackup(status.latest),
      'archived WAL': status.archive ? `${status.archive.min ?? 'none'} .. ${status.archive.max ?? 'none'}` : 'none',
      database: status.database ? `PostgreSQL ${status.database.version}, system identifier ${status.database.systemId}` : 'none yet',
      backups: status.backupCount,
      ...(status.backupRunning ? { running: 'a backup or expire is running now' } : {}),
    });
  }
  for (const warning of status.warnings) io.stdout(`pgbackrest ${warning}\n`);
}
