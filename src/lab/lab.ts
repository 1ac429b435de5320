import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { connect } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { setReplicationMode, type ReplicationReport, type ReplicationSetting } from '../pg-admin/replication.js';
import { LocalPgCluster, freePort, isAlive, resolveDataDir } from '../local-pg/index.js';
import { regionOf, streamingConninfo } from '../topology/model.js';
import { spawnNode, stopPid, waitForNode } from './processes.js';
import {
  LabError,
  drillsDir,
  findRegion,
  nodeUrl,
  postgresUrl,
  readLabState,
  labTopology,
  standbyName,
  stateFile,
  topologyFile,
  writeLabState,
  writerUrl,
  type LabNode,
  type LabRegion,
  type LabState,
  type ServingTopology,
} from './state.js';

export interface LabUpOptions {
  readonly dir: string;
  readonly regions: number;
  readonly nodesPerRegion: number;
  readonly replication: ReplicationSetting;
  readonly topology: ServingTopology;
  /** fsync on (default). Off only for throw-away CI labs: sync replication still waits for standbys. */
  readonly durable?: boolean;
  /** Called at the start of each step, for progress output. */
  readonly progress?: (step: string) => void;
  /**
   * One network namespace per region (made beforehand, e.g. by the chaos runner), each with the
   * address its server and nodes listen on, reachable from this process. Without it everything
   * runs on 127.0.0.1.
   */
  readonly network?: LabNetwork;
}

export interface LabNetwork {
  readonly regions: readonly { readonly netns: string; readonly host: string }[];
  /** The addresses the regions connect from, for pg_hba (e.g. 10.213.7.0/24). */
  readonly cidr: string;
  /** Extra server settings, e.g. shorter replication timeouts so a cut-off peer is noticed. */
  readonly settings?: Readonly<Record<string, string>>;
}

const DATABASE = 'verdict';

/** How every lab node is configured besides its identity and database URLs. */
const NODE_SETTINGS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'info',
  VERDICT_HEARTBEAT_INTERVAL_MS: '1000',
  VERDICT_DB_TIMEOUT_MS: '2000',
  VERDICT_DB_WRITE_TIMEOUT_MS: '10000',
  VERDICT_MAX_READ_LAG_MS: '5000',
  // Many nodes share one machine in a lab: one serving engine host each, no spare.
  VERDICT_ENGINE_HOSTS: '1',
  VERDICT_ENGINE_SPARE: 'false',
};

export function clusterOf(region: LabRegion): LocalPgCluster {
  return new LocalPgCluster(clusterOptions(region));
}

/**
 * Builds a multi-region lab on loopback: a primary in region-1, a streaming standby (own slot,
 * pg_basebackup) in every other region, the replication mode asked, and Verdict nodes in every
 * region writing to the primary and reading from their region's server. Everything started is
 * recorded in <dir>/lab.json; on failure everything started so far is stopped again.
 */
export async function labUp(options: LabUpOptions): Promise<{ state: LabState; replication: ReplicationReport }> {
  const dir = path.resolve(options.dir);
  const progress = options.progress ?? (() => undefined);
  if (options.regions < 1 || options.regions > 9) throw new LabError('--regions must be between 1 and 9');
  if (options.nodesPerRegion < 1 || options.nodesPerRegion > 8) throw new LabError('--nodes-per-region must be between 1 and 8');
  if (existsSync(stateFile(dir))) throw new LabError(`a lab already exists in ${dir}; verdict lab down --dir ${options.dir} --purge removes it`);
  mkdirSync(dir, { recursive: true });

  const regions: LabRegion[] = [];
  if (options.network && options.network.regions.length < options.regions) throw new LabError(`the lab's network has ${options.network.regions.length} region(s), not ${options.regions}`);
  for (let i = 1; i <= options.regions; i++) {
    const name = `region-${i}`;
    const pgDir = resolveDataDir(path.join(dir, 'pg', name)).dir;
    if (existsSync(pgDir)) throw new LabError(`${pgDir} already exists (left by an earlier lab?); remove it or use another --dir`);
    // A region with a namespace of its own has every port free: fixed ones read better in logs.
    const place = options.network?.regions[i - 1];
    const nodes: LabNode[] = [];
    for (let n = 0; n < options.nodesPerRegion; n++) {
      const id = `${name}-${String.fromCharCode(97 + n)}`;
      const port = place ? 8081 + n : await freePort();
      nodes.push({ id, ...(place ? { host: place.host } : {}), port, dataDir: path.join(dir, 'nodes', id), logFile: path.join(dir, 'logs', `${id}.log`), pid: null });
    }
    const postgres = { dir: pgDir, port: place ? 5432 : await freePort(), logFile: path.join(dir, 'logs', `postgres-${name}.log`) };
    regions.push({ name, ...(place ? { netns: place.netns, host: place.host } : {}), postgres, nodes });
  }
  const state: LabState = {
    version: 1,
    dir,
    createdAt: new Date().toISOString(),
    database: DATABASE,
    adminToken: `vrd_lab_${randomBytes(24).toString('base64url')}`,
    topology: options.topology,
    replication: { mode: options.replication.mode, standbys: options.replication.standbys },
    primaryRegion: regions[0]!.name,
    regions,
  };

  const topology = labTopology(state);
  const started: LocalPgCluster[] = [];
  try {
    const [first, ...others] = regions;
    progress(`initialising the primary in ${first!.name} (PostgreSQL on port ${first!.postgres.port})`);
    const primary = new LocalPgCluster({ ...clusterOptions(first!), durable: options.durable ?? true, settings: labPgSettings(options.network), ...(options.network ? { trustNetwork: options.network.cidr } : {}) });
    await primary.init();
    await primary.start();
    started.push(primary);
    const admin = connect(postgresUrl(state, first!, 'postgres'), { max: 1 });
    try {
      await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    progress('applying the Verdict schema');
    const sql = connect(postgresUrl(state, first!), { max: 1 });
    try {
      await migrate(sql);
    } finally {
      await sql.end();
    }
    for (const region of others) {
      progress(`base backup for the standby in ${region.name} (slot ${standbyName(region.name)})`);
      const standby = await primary.createStandby({ ...clusterOptions(region), slot: standbyName(region.name), durable: options.durable ?? true });
      const [upstream, self] = [first!, region].map((r) => regionOf(topology, r.name));
      standby.setAutoConf({ primary_conninfo: streamingConninfo(upstream!, self!) });
      await standby.start();
      started.push(standby);
    }
    progress(`setting ${options.replication.mode} replication`);
    const primarySql = connect(postgresUrl(state, first!), { max: 1 });
    let replication: ReplicationReport;
    try {
      replication = await setReplicationMode(primarySql, options.replication, others.map((r) => standbyName(r.name)));
    } finally {
      await primarySql.end();
    }
    // Nodes read topology.yaml at start (VERDICT_TOPOLOGY): it is written before the first one.
    writeLabState(state);
    // All at once: a node's start is mostly waiting (engine host, first database round trips).
    for (const region of regions) {
      progress(`starting ${region.nodes.length} Verdict node(s) in ${region.name}`);
      for (const node of region.nodes) node.pid = spawnNode(node, nodeEnv(state, region, node), region.netns);
      writeLabState(state); // from the first pid on, `lab down` can stop what was started
    }
    await Promise.all(regions.flatMap((r) => r.nodes).map((node) => waitForNode(node)));
    return { state, replication };
  } catch (error) {
    for (const node of regions.flatMap((r) => r.nodes)) await stopPid(node.pid, 'immediate');
    for (const cluster of started.reverse()) await cluster.stop('immediate').catch(() => undefined);
    for (const region of regions) rmSync(region.postgres.dir, { recursive: true, force: true });
    rmSync(stateFile(dir), { force: true });
    rmSync(topologyFile(dir), { force: true });
    throw error;
  }
}

/**
 * What pg_rewind needs, so that `dr rejoin` rewinds instead of copying everything: kept WAL (it
 * looks for the last checkpoint before the fork in the old primary's own pg_wal) and full-page
 * writes, even in a --no-fsync lab; and a quick promotion. Base backups copy postgresql.conf:
 * every standby gets them.
 */
const LAB_PG_SETTINGS = {
  wal_keep_size: '256MB',
  full_page_writes: true,
  // A standby whose primary just died waits this long between attempts to fetch WAL, and a
  // pg_promote arriving meanwhile could wait for the rest of it (5 s by default).
  wal_retrieve_retry_interval: '500ms',
} as const;

/**
 * A lab of namespaces listens on every address of each region's own namespace (base backups copy
 * postgresql.conf, so one address would be wrong everywhere else) and trusts the lab's network.
 */
function labPgSettings(network: LabNetwork | undefined): Record<string, string | boolean> {
  return network ? { ...LAB_PG_SETTINGS, listen_addresses: '*', ...network.settings } : { ...LAB_PG_SETTINGS };
}

function clusterOptions(region: LabRegion) {
  return {
    dir: region.postgres.dir,
    port: region.postgres.port,
    logFile: region.postgres.logFile,
    ...(region.host ? { host: region.host } : {}),
    ...(region.netns ? { netns: region.netns } : {}),
  };
}

/**
 * The environment of one lab node: every server in DATABASE_URL, its region's server to read, and
 * the lab's topology and drill folder for the console's Regions screen.
 */
export function nodeEnv(state: LabState, region: LabRegion, node: LabNode): Record<string, string> {
  return {
    ...NODE_SETTINGS,
    VERDICT_TOPOLOGY: topologyFile(state.dir),
    VERDICT_DRILL_REPORTS: drillsDir(state.dir),
    DATABASE_URL: writerUrl(state),
    DATABASE_READ_URL: postgresUrl(state, region),
    VERDICT_REGION: region.name,
    VERDICT_NODE_ID: node.id,
    VERDICT_ADMIN_TOKEN: state.adminToken,
  };
}

/** Stops every node and server of the lab (nodes first), by pid. `purge` also deletes its files. */
export async function labDown(dir: string, options: { purge?: boolean; progress?: (step: string) => void } = {}): Promise<LabState> {
  const state = readLabState(dir);
  const progress = options.progress ?? (() => undefined);
  progress('stopping the Verdict nodes');
  await Promise.all(state.regions.flatMap((r) => r.nodes).map((node) => stopPid(node.pid, 'graceful')));
  for (const node of state.regions.flatMap((r) => r.nodes)) node.pid = null;
  for (const region of state.regions) {
    progress(`stopping PostgreSQL in ${region.name}`);
    await clusterOf(region).stop('fast');
  }
  if (options.purge) {
    progress('deleting the lab files');
    for (const region of state.regions) rmSync(region.postgres.dir, { recursive: true, force: true });
    rmSync(state.dir, { recursive: true, force: true });
  } else {
    writeLabState(state);
  }
  return state;
}

/** A lost region: its Postgres stops immediately (no shutdown checkpoint) and its nodes are killed. */
export async function labKill(dir: string, regionName: string): Promise<LabState> {
  const state = readLabState(dir);
  const region = findRegion(state, regionName);
  await Promise.all([...region.nodes.map((node) => stopPid(node.pid, 'immediate')), clusterOf(region).stop('immediate')]);
  for (const node of region.nodes) node.pid = null;
  writeLabState(state);
  return state;
}

/**
 * Starts a region's Postgres and nodes again as they are configured now. An old primary that
 * comes back this way is writable with an old generation: nodes fence it; `dr rejoin` makes it a
 * standby of the new primary.
 */
export async function labStart(dir: string, regionName: string, progress: (step: string) => void = () => undefined): Promise<LabState> {
  const state = readLabState(dir);
  const region = findRegion(state, regionName);
  const cluster = clusterOf(region);
  if (cluster.runningPid() === undefined) {
    progress(`starting PostgreSQL in ${region.name}`);
    await cluster.start();
  }
  progress(`starting the Verdict nodes in ${region.name}`);
  for (const node of region.nodes) {
    if (node.pid === null || !isAlive(node.pid)) node.pid = spawnNode(node, nodeEnv(state, region, node), region.netns);
  }
  writeLabState(state);
  await Promise.all(region.nodes.map((node) => waitForNode(node)));
  return state;
}

export interface LabProcessStatus {
  readonly region: string;
  readonly what: string;
  readonly pid: number | null;
  readonly port: number;
  readonly running: boolean;
  readonly url: string;
  readonly ready?: boolean;
}

/** Which of the lab's processes run, and whether each node answers ready. */
export async function labStatus(dir: string): Promise<{ state: LabState; processes: LabProcessStatus[] }> {
  const state = readLabState(dir);
  const processes: LabProcessStatus[] = [];
  for (const region of state.regions) {
    const pid = clusterOf(region).runningPid() ?? null;
    processes.push({
      region: region.name,
      what: region.name === state.primaryRegion ? 'postgres (primary)' : 'postgres',
      pid,
      port: region.postgres.port,
      running: pid !== null,
      url: postgresUrl(state, region),
    });
    for (const node of region.nodes) {
      const running = node.pid !== null && isAlive(node.pid);
      const ready = running
        ? await fetch(`${nodeUrl(node)}/health/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false)
        : false;
      processes.push({ region: region.name, what: `node ${node.id}`, pid: node.pid, port: node.port, running, url: nodeUrl(node), ready });
    }
  }
  return { state, processes };
}
