import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../db/connect.js';
import { clusterOf, nodeEnv, primaryConninfo } from '../lab/lab.js';
import { spawnNode, waitForNode } from '../lab/processes.js';
import { LabError, findRegion, postgresUrl, readLabState, standbyName, writeLabState } from '../lab/state.js';
import { isAlive, LocalPgCluster } from '../local-pg/index.js';
import { ensureSlot, setReplicationMode, type ReplicationReport } from './replication.js';
import { Timeline, type TimelineStep } from './timeline.js';

const RESTART_STREAM_TIMEOUT_MS = 10_000;

export interface RejoinReport {
  readonly region: string;
  readonly primary: string;
  /** restart: a standby that was only stopped (or killed) streams again as it is. */
  readonly method: 'restart' | 'pg_rewind' | 'base backup';
  /** Why pg_rewind was not enough, when a base backup was taken instead. */
  readonly rewindError?: string;
  readonly replication: ReplicationReport;
  readonly steps: readonly TimelineStep[];
  readonly totalMs: number;
}

/**
 * Turns a region's server (an old primary, or a standby that cannot follow the new timeline) into
 * a standby of the current primary: pg_rewind when possible (wal_log_hints is on in every lab
 * cluster), else a fresh base backup; then re-adds it to the primary's replication settings and
 * starts the region's nodes if they are down.
 */
export async function rejoinRegion(
  dir: string,
  regionName: string,
  options: { readonly restartNodes?: boolean; readonly progress?: (step: string) => void } = {},
): Promise<RejoinReport> {
  const state = readLabState(dir);
  const region = findRegion(state, regionName);
  const primary = findRegion(state, state.primaryRegion);
  if (region.name === primary.name) throw new LabError(`${region.name} holds the primary; rejoin is for the other regions`);
  const timeline = new Timeline(options.progress);
  const cluster = clusterOf(region);
  const slot = standbyName(region.name);

  // A standby that was killed cannot be rewound (pg_rewind's crash recovery refuses standby mode)
  // and usually needs nothing: started as it is, it catches up, following a new timeline when its
  // position lies on it. An old primary, or a standby that received WAL past the fork, cannot.
  const stoppedStandby = cluster.runningPid() === undefined && existsSync(path.join(cluster.dir, 'standby.signal'));
  await timeline.step(`stop PostgreSQL in ${region.name}`, () => cluster.stop('fast'));
  const primarySql = connect(postgresUrl(state, primary), { max: 1 });
  try {
    await timeline.step(`replication slot ${slot} on ${primary.name}`, () => ensureSlot(primarySql, slot));
    const source = `host=127.0.0.1 port=${primary.postgres.port} user=postgres dbname=postgres`;
    // A just-promoted primary writes its new timeline to its control file only at its first
    // checkpoint, which may still be running (spread); pg_rewind reads the timeline from there and
    // would compute the fork on the wrong timeline.
    await timeline.step(`checkpoint on ${primary.name} (pg_rewind reads its timeline from the control file)`, () => primarySql`CHECKPOINT`);
    // Later lines win: name the standby (synchronous_standby_names matches it), use its slot, and
    // drop the read-only fence a planned switchover may have left in an old primary's settings.
    const followPrimary = () => cluster.setAutoConf({ primary_conninfo: primaryConninfo(primary, region), primary_slot_name: slot, default_transaction_read_only: 'off' });
    const streams = async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await primarySql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = ${slot} AND state = 'streaming'`;
        if (row!.n > 0) return true;
        if (Date.now() > deadline) return false;
        await sleep(100);
      }
    };
    let method: RejoinReport['method'] = 'pg_rewind';
    let rewindError: string | undefined;
    if (stoppedStandby) {
      followPrimary();
      const restarted = await timeline.step(`start ${region.name} as the standby it was`, async () => {
        await cluster.start();
        if (await streams(RESTART_STREAM_TIMEOUT_MS)) return true;
        await cluster.stop('fast'); // shut down cleanly, pg_rewind can take it from here
        return false;
      }).catch(async () => {
        await cluster.stop('immediate').catch(() => undefined);
        return false;
      });
      if (restarted) method = 'restart';
    }
    const rewound = method === 'restart' ? undefined : await timeline.step(`pg_rewind ${region.name} onto ${primary.name}'s timeline`, () =>
      cluster.runTool('pg_rewind', ['--target-pgdata', cluster.dir, '--source-server', source, '--write-recovery-conf']),
    );
    if (rewound?.code === 0) {
      followPrimary();
      try {
        await timeline.step(`start ${region.name} as a standby`, () => cluster.start());
      } catch (error) {
        // pg_rewind can finish and still leave a server that cannot reach a consistent state.
        rewindError = `the rewound server did not start: ${(error as Error).message.split('\n')[0]}`;
        await cluster.stop('immediate').catch(() => undefined);
      }
    } else if (rewound !== undefined) {
      rewindError = rewound.output.trim().split('\n').slice(-3).join(' ');
    }
    if (rewindError !== undefined) {
      method = 'base backup';
      await timeline.step(`base backup of ${primary.name} into ${region.name} (pg_rewind failed)`, async () => {
        rmSync(cluster.dir, { recursive: true, force: true });
        const upstream = new LocalPgCluster({ dir: primary.postgres.dir, port: primary.postgres.port, logFile: primary.postgres.logFile });
        await upstream.createStandby({ dir: region.postgres.dir, port: region.postgres.port, logFile: region.postgres.logFile, slot, createSlot: false });
      });
      followPrimary();
      await timeline.step(`start ${region.name} as a standby`, () => cluster.start());
    }
    await timeline.step(`wait for ${region.name} to stream from ${primary.name}`, async () => {
      if (!(await streams(30_000))) throw new LabError(`${region.name} does not stream from ${primary.name} after 30 s; see ${region.postgres.logFile}`);
    });
    const standbys = state.regions.filter((r) => r.name !== primary.name).map((r) => standbyName(r.name));
    const replication = await timeline.step(`${state.replication.mode} replication on ${primary.name} over ${standbys.join(', ')}`, () =>
      setReplicationMode(primarySql, state.replication, standbys),
    );
    if (options.restartNodes ?? true) {
      const down = region.nodes.filter((n) => n.pid === null || !isAlive(n.pid));
      if (down.length > 0) {
        await timeline.step(`start ${down.length} Verdict node(s) in ${region.name}`, async () => {
          for (const node of down) node.pid = spawnNode(node, nodeEnv(state, region, node));
          writeLabState(state);
          await Promise.all(down.map((node) => waitForNode(node)));
        });
      }
    }
    return { region: region.name, primary: primary.name, method, ...(rewindError ? { rewindError } : {}), replication, steps: timeline.steps, totalMs: timeline.elapsedMs };
  } finally {
    await primarySql.end({ timeout: 1 });
  }
}
