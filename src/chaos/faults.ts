import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../db/connect.js';
import { drStatus } from '../dr/status.js';
import type { PromoteReport } from '../dr/promote.js';
import { promoteRegion, rejoinRegion } from '../drill/lab-dr.js';
import { labKill, labStart } from '../lab/lab.js';
import { drRegions, nodeUrl, postgresUrl, type LabRegion } from '../lab/state.js';
import { labState, midWrite, outage, primaryOf, regionNodes, signalPostgres, standbysOf, type ChaosContext } from './context.js';

/**
 * One fault and the operator's recovery from it: each step returns when the lab is whole again
 * (one primary, every region streaming from it, every node up), so steps can follow each other
 * in any order. Targets that are not fixed (which standby, which node) come from the seeded PRNG.
 */
export interface FaultStep {
  readonly name: string;
  /** Cuts a region off: needs network namespaces. */
  readonly needsNetwork?: boolean;
  readonly run: (ctx: ChaosContext) => Promise<void>;
}

/** Promotes the most advanced standby (or `region`), the old primary being unreachable. */
async function promote(ctx: ChaosContext, region?: string): Promise<PromoteReport> {
  const report = await promoteRegion(ctx.dir, { confirmOldPrimaryLost: true, ...(region ? { region } : {}) });
  ctx.log(`promoted ${report.promoted} (generation ${report.generation}) in ${report.totalMs} ms`);
  return report;
}

async function rejoin(ctx: ChaosContext, region: string): Promise<void> {
  const report = await rejoinRegion(ctx.dir, region);
  ctx.log(`rejoined ${region} by ${report.method} in ${report.totalMs} ms`);
}

/** Waits for a write in flight, then does `fault` to the primary and marks the loss (write RTO counts from it). */
async function losePrimary(ctx: ChaosContext, what: string, fault: (primary: LabRegion) => unknown): Promise<LabRegion> {
  const old = primaryOf(ctx);
  await midWrite(ctx);
  const lagMs = await writeLagMs(postgresUrl(labState(ctx), old));
  await fault(old);
  ctx.primaryLosses.push({ at: ctx.since(), lagMs });
  ctx.log(`${what} ${old.name} (primary) with a write in flight`);
  return old;
}

const killPrimary: FaultStep = {
  name: 'kill-primary',
  run: async (ctx) => {
    const old = await losePrimary(ctx, 'kill -9 PostgreSQL of', (r) => signalPostgres(r, 'SIGKILL'));
    await sleep(500);
    await promote(ctx);
    await rejoin(ctx, old.name);
  },
};

const pausePrimary: FaultStep = {
  name: 'pause-primary',
  run: async (ctx) => {
    const old = await losePrimary(ctx, 'SIGSTOP PostgreSQL of', (r) => signalPostgres(r, 'SIGSTOP'));
    try {
      await sleep(500);
      await promote(ctx);
    } finally {
      signalPostgres(old, 'SIGCONT');
    }
    ctx.log(`SIGCONT ${old.name}: a writable old primary again, for ~1.5 s`);
    await sleep(1500);
    await rejoin(ctx, old.name);
  },
};

const restartStandby: FaultStep = {
  name: 'restart-standby',
  run: async (ctx) => {
    const standby = ctx.rng.pick(standbysOf(ctx));
    signalPostgres(standby, 'SIGKILL');
    ctx.log(`kill -9 PostgreSQL of ${standby.name} (standby)`);
    await sleep(1000);
    await rejoin(ctx, standby.name);
  },
};

const killNodeMidDeploy: FaultStep = {
  name: 'kill-node-mid-deploy',
  run: async (ctx) => {
    const state = labState(ctx);
    const url = (await midWrite(ctx)) ?? nodeUrl(ctx.rng.pick(state.regions).nodes[0]!);
    const region = state.regions.find((r) => regionNodes(r).includes(url))!;
    const node = region.nodes.find((n) => nodeUrl(n) === url)!;
    const back = outage(ctx, [url]);
    // Its process group: the node and its engine host.
    if (node.pid !== null) process.kill(-node.pid, 'SIGKILL');
    ctx.log(`kill -9 node ${node.id} with a deploy in flight`);
    await sleep(500);
    await labStart(ctx.dir, region.name);
    back();
    ctx.log(`node ${node.id} restarted and ready`);
  },
};

const partitionPrimary: FaultStep = {
  name: 'partition-primary',
  needsNetwork: true,
  run: async (ctx) => {
    const old = primaryOf(ctx);
    const index = labState(ctx).regions.findIndex((r) => r.name === old.name);
    const back = outage(ctx, regionNodes(old));
    const lagMs = await writeLagMs(postgresUrl(labState(ctx), old));
    ctx.network!.cut(index);
    ctx.primaryLosses.push({ at: ctx.since(), lagMs });
    ctx.log(`cut ${old.name} (primary region) off`);
    try {
      await sleep(1000);
      await promote(ctx);
    } finally {
      ctx.network!.heal(index);
      back();
    }
    ctx.log(`healed ${old.name}: its old primary is writable and fenced, for ~1.5 s`);
    await sleep(1500);
    await rejoin(ctx, old.name);
  },
};

const partitionStandby: FaultStep = {
  name: 'partition-standby',
  needsNetwork: true,
  run: async (ctx) => {
    const standby = ctx.rng.pick(standbysOf(ctx));
    const index = labState(ctx).regions.findIndex((r) => r.name === standby.name);
    const back = outage(ctx, regionNodes(standby));
    ctx.network!.cut(index);
    ctx.log(`cut ${standby.name} (standby region) off for 4 s`);
    try {
      // Longer than wal_sender_timeout: the primary gives up on it and another standby confirms.
      await sleep(4000);
    } finally {
      ctx.network!.heal(index);
      back();
    }
    if (!(await streams(ctx, standby, 20_000))) {
      ctx.log(`${standby.name} does not stream again by itself`);
      await rejoin(ctx, standby.name);
    }
  },
};

const oldPrimaryWritable: FaultStep = {
  name: 'old-primary-writable',
  run: async (ctx) => {
    let back = () => undefined as void;
    const old = await losePrimary(ctx, 'killed PostgreSQL and nodes of', async (r) => {
      back = outage(ctx, regionNodes(r));
      await labKill(ctx.dir, r.name);
    });
    await sleep(500);
    await promote(ctx);
    await labStart(ctx.dir, old.name);
    back();
    ctx.log(`restarted ${old.name} as it was: a writable old primary and its nodes, for ~2 s`);
    await sleep(2000);
    await rejoin(ctx, old.name);
  },
};

const promoteLagging: FaultStep = {
  name: 'promote-lagging',
  run: async (ctx) => {
    const old = primaryOf(ctx);
    const target = ctx.rng.pick(standbysOf(ctx));
    await setting(postgresUrl(labState(ctx), target), 'recovery_min_apply_delay', '2s');
    ctx.log(`${target.name} replays 2 s behind (recovery_min_apply_delay)`);
    await sleep(2500);
    await losePrimary(ctx, 'kill -9 PostgreSQL of', (r) => signalPostgres(r, 'SIGKILL'));
    await sleep(300);
    try {
      await promote(ctx, target.name);
    } catch (error) {
      // Refused when another standby received more: that refusal is the tool doing its job.
      ctx.log(`promotion of ${target.name} refused (${(error as Error).message}); promoting the most advanced`);
      await promote(ctx);
    }
    // Promoted or not, it must not lag in later steps.
    await setting(postgresUrl(labState(ctx), target), 'recovery_min_apply_delay', null);
    await rejoin(ctx, old.name);
  },
};

export const FAULT_STEPS: readonly FaultStep[] = [
  killPrimary,
  pausePrimary,
  restartStandby,
  killNodeMidDeploy,
  partitionPrimary,
  partitionStandby,
  oldPrimaryWritable,
  promoteLagging,
];

/**
 * The largest write lag the primary reports for its standbys (the last measured time from a local
 * flush to a standby's write): what an async standby may miss when the primary is lost now.
 */
async function writeLagMs(url: string): Promise<number> {
  const sql = connect(url, { max: 1, connectTimeoutSeconds: 2 });
  try {
    const [row] = await sql<{ ms: number }[]>`SELECT coalesce(max(extract(epoch FROM write_lag)) * 1000, 0)::float8 AS ms FROM pg_stat_replication`;
    return row?.ms ?? 0;
  } catch {
    return 0;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** ALTER SYSTEM SET (or RESET, for null) and reload. */
async function setting(url: string, name: string, value: string | null): Promise<void> {
  const sql = connect(url, { max: 1 });
  try {
    await sql.unsafe(value === null ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = '${value}'`);
    await sql`SELECT pg_reload_conf()`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Whether `region` streams from the primary again within `ms`. */
async function streams(ctx: ChaosContext, region: LabRegion, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const status = await drStatus(drRegions(labState(ctx)), undefined).catch(() => undefined);
    if (status?.servers.some((s) => s.region === region.name && s.role === 'standby' && s.streaming)) return true;
    await sleep(250);
  }
  return false;
}
