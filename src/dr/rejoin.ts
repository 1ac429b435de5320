import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Sql } from '../db/connect.js';
import { compareLsn } from '../db/database.js';
import { LocalPgCluster } from '../local-pg/index.js';
import { ensureSlot, setReplicationMode, type ReplicationReport, type ReplicationSetting } from '../pg-admin/replication.js';
import { localCluster } from '../topology/local.js';
import { endpointsOf, regionOf, serverAddress, streamingConninfo, type TopologyRegion } from '../topology/model.js';
import type { DrTarget } from '../topology/target.js';
import { DrError } from './errors.js';
import { primaryRegion, replicationToRestore } from './primary.js';
import { drStatus } from './status.js';
import { Timeline, type TimelineStep } from './timeline.js';

/** How long a restarted or rewound server may take to follow the primary before the next way is tried. */
const FOLLOW_TIMEOUT_MS = 15_000;

export interface RejoinOptions {
  /** Start the region's Verdict nodes that are down, when the topology's owner (a lab) can. Default true. */
  readonly restartNodes?: boolean;
  readonly progress?: (step: string) => void;
  /** The primary and the mode to restore, when the caller knows them (promote); else found out. */
  readonly primary?: string;
  readonly replication?: ReplicationSetting;
}

export interface RejoinReport {
  readonly region: string;
  readonly primary: string;
  /** restart: a standby that was only stopped (or killed) follows again as it is. */
  readonly method: 'restart' | 'pg_rewind' | 'base backup';
  /** Why the cheaper ways did not work, when one was tried and failed (also in `steps`). */
  readonly failedAttempts?: readonly string[];
  readonly replication: ReplicationReport;
  readonly steps: readonly TimelineStep[];
  readonly totalMs: number;
}

/**
 * Turns a region's server (an old primary, a lost standby, or one that cannot follow the new
 * timeline) into a standby of the current primary, by the cheapest way that works: restart a
 * standby as it is, else pg_rewind, else a fresh base backup. "Works" is judged on the server
 * itself: its WAL receiver streams the primary's timeline and it has replayed what the primary
 * had written when it started. Then it re-adds the region to the primary's replication settings
 * and has the topology's owner start the region's nodes if they are down. Needs the region's
 * server files (the topology's local details): it runs on that server's machine.
 */
export async function rejoin(target: DrTarget, regionName: string, options: RejoinOptions = {}): Promise<RejoinReport> {
  const { topology } = target;
  const region = regionOf(topology, regionName);
  const timeline = new Timeline(options.progress);
  const known = options.primary !== undefined && options.replication !== undefined;
  const status = known ? undefined : await timeline.step('find the primary', () => drStatus(endpointsOf(topology), undefined));
  const primary = options.primary !== undefined ? regionOf(topology, options.primary) : primaryRegion(topology, status!);
  const replication = options.replication ?? replicationToRestore(topology, status!);
  if (region.name === primary.name) throw new DrError(`${region.name} holds the primary; rejoin is for the other regions`);
  const cluster = localCluster(topology, region, `rejoin (it restarts the server as a standby, by pg_rewind or a base backup if it must)`);
  const slot = region.postgres.standbyName;

  // A standby that was killed cannot be rewound (pg_rewind's crash recovery refuses standby mode)
  // and usually needs nothing: started as it is, it catches up, following a new timeline when its
  // position lies on it. An old primary, or a standby that received WAL past the fork, cannot.
  const stoppedStandby = cluster.runningPid() === undefined && existsSync(path.join(cluster.dir, 'standby.signal'));
  await timeline.step(`stop PostgreSQL in ${region.name}`, () => cluster.stop('fast'));
  const primarySql = connect(primary.postgres.url, { max: 1 });
  try {
    await timeline.step(`replication slot ${slot} on ${primary.name}`, () => ensureSlot(primarySql, slot));
    // Later lines win: name the standby (synchronous_standby_names matches it), use its slot, and
    // drop the read-only fence a planned switchover may have left in an old primary's settings.
    const followPrimary = () => cluster.setAutoConf({ primary_conninfo: streamingConninfo(primary, region), primary_slot_name: slot, default_transaction_read_only: 'off' });
    /** Starts the server as a standby; true once it follows, else it is stopped again (cleanly when it can be). */
    const startAndFollow = async (): Promise<true | string> => {
      followPrimary();
      try {
        await cluster.start();
      } catch (error) {
        await cluster.stop('immediate').catch(() => undefined);
        return `it did not start: ${(error as Error).message.split('\n')[0]}`;
      }
      const follows = await followsPrimary(region, primarySql, FOLLOW_TIMEOUT_MS);
      if (follows === true) return true;
      await cluster.stop('fast').catch(() => cluster.stop('immediate'));
      return follows;
    };

    let method: RejoinReport['method'] | undefined;
    const failures: string[] = [];
    if (stoppedStandby) {
      const restarted = await timeline.attempt(`start ${region.name} as the standby it was`, startAndFollow);
      if (restarted === true) method = 'restart';
      else failures.push(`restart: ${restarted}`);
    }
    if (method === undefined) {
      // A just-promoted primary writes its new timeline to its control file only at its first
      // checkpoint, which may still be running (spread); pg_rewind reads the timeline from there and
      // would compute the fork on the wrong timeline.
      await timeline.step(`checkpoint on ${primary.name} (pg_rewind reads its timeline from the control file)`, () => primarySql`CHECKPOINT`);
      const source = `${sourceConninfo(primary)} dbname=postgres`;
      const rewound = await timeline.attempt(`pg_rewind ${region.name} onto ${primary.name}'s timeline`, async () => {
        const run = await cluster.runTool('pg_rewind', ['--target-pgdata', cluster.dir, '--source-server', source, '--write-recovery-conf']);
        return run.code === 0 ? true : run.output.trim().split('\n').slice(-3).join(' ');
      });
      if (rewound === true) {
        // pg_rewind can finish and still leave a server that cannot start or follow.
        const started = await timeline.attempt(`start ${region.name} as a standby`, startAndFollow);
        if (started === true) method = 'pg_rewind';
        else failures.push(`pg_rewind finished, but ${started}`);
      } else {
        failures.push(`pg_rewind: ${rewound}`);
      }
    }
    if (method === undefined) {
      method = 'base backup';
      await timeline.step(`base backup of ${primary.name} into ${region.name}`, () => replaceWithBaseBackup(primary, region, cluster, slot));
      const started = await timeline.attempt(`start ${region.name} as a standby`, startAndFollow);
      if (started !== true) throw new DrError(`${region.name} does not follow ${primary.name} even after a fresh base backup (${started}); see ${cluster.logFile}`);
    }
    const standbys = topology.regions.filter((r) => r.name !== primary.name).map((r) => r.postgres.standbyName);
    const applied = await timeline.step(`${replication.mode} replication on ${primary.name} over ${standbys.join(', ')}`, () =>
      setReplicationMode(primarySql, replication, standbys),
    );
    const down = options.restartNodes ?? true ? target.owner?.downNodes(region.name) : undefined;
    if (down) await timeline.step(`start ${down.count} Verdict node(s) in ${region.name}`, down.start);
    return { region: region.name, primary: primary.name, method, ...(failures.length > 0 ? { failedAttempts: failures } : {}), replication: applied, steps: timeline.steps, totalMs: timeline.elapsedMs };
  } finally {
    await primarySql.end({ timeout: 1 });
  }
}

/**
 * Asks the standby itself, since the primary's pg_stat_replication also lists a walsender that
 * streams the shared part of the old timeline to a standby about to refuse the fork: its WAL
 * receiver must stream the primary's timeline and it must have replayed what the primary had
 * written when the check began.
 */
async function followsPrimary(region: TopologyRegion, primarySql: Sql, timeoutMs: number): Promise<true | string> {
  const [target] = await primarySql<{ lsn: string; tli: number }[]>`
    SELECT pg_current_wal_lsn()::text AS lsn, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`;
  const standby = connect(region.postgres.url, { max: 1, connectTimeoutSeconds: 2 });
  const deadline = Date.now() + timeoutMs;
  let last: string;
  try {
    for (;;) {
      try {
        const [row] = await standby<{ status: string | null; tli: number | null; replayed: string | null }[]>`
          SELECT (SELECT status FROM pg_stat_wal_receiver) AS status, (SELECT received_tli FROM pg_stat_wal_receiver) AS tli,
                 pg_last_wal_replay_lsn()::text AS replayed`;
        if (row!.status === 'streaming' && row!.tli === target!.tli && row!.replayed !== null && compareLsn(row!.replayed, target!.lsn) >= 0) return true;
        last = `WAL receiver ${row!.status ?? 'not running'} on timeline ${row!.tli ?? '-'}, replayed ${row!.replayed ?? '-'} of ${target!.lsn} on timeline ${target!.tli}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) return `it did not follow within ${timeoutMs} ms (${last})`;
      await sleep(100);
    }
  } finally {
    await standby.end({ timeout: 1 });
  }
}

/** How pg_rewind and pg_basebackup reach the primary: as its standbys do. */
function sourceConninfo(primary: TopologyRegion): string {
  const { host, port, user } = serverAddress(primary);
  return primary.postgres.primaryConninfo ?? `host=${host} port=${port} user=${user}`;
}

/** A base backup into a sibling folder, swapped in only once complete: a failed copy keeps the old data. */
async function replaceWithBaseBackup(primary: TopologyRegion, region: TopologyRegion, cluster: LocalPgCluster, slot: string): Promise<void> {
  if (cluster.runningPid() !== undefined) throw new DrError(`PostgreSQL in ${region.name} is still running; refusing to replace its data directory`);
  const dataDir = cluster.dir;
  const fresh = `${dataDir}.rebuild`;
  rmSync(fresh, { recursive: true, force: true });
  // pg_basebackup runs here against the primary's address: only its host, port and this machine's
  // binaries matter, so the primary need not be local (its own folder stands in when it is not).
  const { host, port } = serverAddress(primary);
  const upstream = new LocalPgCluster({ dir: primary.postgres.local?.dataDir ?? dataDir, host, port, binaries: cluster.bins });
  try {
    await upstream.createStandby({ dir: fresh, port: cluster.port, logFile: cluster.logFile, slot, createSlot: false });
  } catch (error) {
    rmSync(fresh, { recursive: true, force: true });
    throw error;
  }
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(fresh, dataDir);
}

