import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, type Sql } from '../../db/connect.js';
import { call } from '../../drill/http.js';
import { pgbackrest, run } from '../commands.js';
import type { PatroniLab } from '../lab.js';
import { primaryRegionPlan, type LabPlan } from '../plan.js';
import { kernelPorts } from '../ports.js';
import { exitedAmong, waitFor, waitForStatus } from '../wait.js';
import { verdictCli } from './faults.js';
import { nodeDataDir, VERDICT_BIN } from './nodes.js';

/** What the Verdict database held at a moment: compared between the live cluster then and the restore. */
export interface DatabaseState {
  readonly releases: readonly string[];
  readonly decisionVersions: number;
  readonly deployments: number;
}

export async function databaseState(sql: Sql, project: string): Promise<DatabaseState> {
  const releases = await sql<{ label: string }[]>`
    SELECT r.label FROM releases r JOIN projects p ON p.id = r.project_id WHERE p.key = ${project} ORDER BY r.label`;
  const [versions] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM decision_versions v JOIN decisions d ON d.id = v.decision_id JOIN projects p ON p.id = d.project_id WHERE p.key = ${project}`;
  const [deployments] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM deployments x JOIN environments e ON e.id = x.environment_id JOIN projects p ON p.id = e.project_id WHERE p.key = ${project}`;
  return { releases: releases.map((r) => r.label), decisionVersions: versions?.n ?? 0, deployments: deployments?.n ?? 0 };
}

/** The point to restore to: a commit timestamp on region A, and the state then. */
export interface RestorePoint {
  readonly target: string;
  readonly state: DatabaseState;
}

const writer = (plan: LabPlan): string => {
  const a = primaryRegionPlan(plan);
  return `postgres://postgres:${encodeURIComponent(plan.secrets.superuser)}@${a.haproxy.host}:${a.haproxy.writerPort}/verdict`;
};

/**
 * Takes the restore point while nothing writes (before the loads start): the state, then the
 * server's clock once it has moved past every commit so far. The caller writes more afterwards,
 * which the restore must not contain.
 */
export async function takeRestorePoint(plan: LabPlan, project: string): Promise<RestorePoint> {
  const sql = connect(writer(plan), { max: 1 });
  try {
    const state = await databaseState(sql, project);
    const [row] = await sql<{ t: string }[]>`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t`;
    return { target: row!.t, state };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Closes the current WAL segment and waits until region A's archive has it: the restore point is then recoverable. */
export async function archiveUpToNow(plan: LabPlan, timeoutMs = 60_000): Promise<string> {
  const sql = connect(writer(plan), { max: 1 });
  try {
    const [sw] = await sql<{ wal: string }[]>`SELECT pg_walfile_name(pg_switch_wal()) AS wal`;
    const wanted = sw!.wal;
    await waitFor(
      `region A's archive to hold ${wanted}`,
      async (note) => {
        const [a] = await sql<{ last: string | null; failed: string | null }[]>`SELECT last_archived_wal AS last, last_failed_wal AS failed FROM pg_stat_archiver`;
        note(`last archived ${a?.last ?? 'none'}, last failed ${a?.failed ?? 'none'}`);
        return a?.last && a.last.slice(8) >= wanted.slice(8) ? true : undefined;
      },
      { timeoutMs },
    );
    return wanted;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export interface RestoreDrillResult {
  readonly target: string;
  readonly restoreMs: number;
  readonly recoveredMs: number;
  readonly expected: DatabaseState;
  readonly restored: DatabaseState;
  readonly matches: boolean;
  /** What a node that remembers a newer generation did with the restored server before --after-restore. */
  readonly refusedBefore: string;
  readonly afterRestore: string;
  /** The same write, accepted once the generation was raised. */
  readonly acceptedAfter: boolean;
}

/**
 * Point-in-time restore from region A's pgBackRest repository into a scratch data folder
 * (`pgbackrest restore --type=time --target=<point> --target-action=promote`), PostgreSQL started
 * on it, a Verdict node started on it with the serving snapshot of a node that lived through the
 * promotion (so it remembers a newer cluster generation than the restored one): it must refuse
 * the restored server. Then `verdict dr promote --after-restore`, which asks the fleet's nodes
 * what they have seen and raises the restored server above it, and the node must take writes.
 */
export async function restoreDrill(
  lab: PatroniLab,
  point: RestorePoint,
  options: { readonly project: string; readonly adminToken: string; readonly snapshotFrom: string; readonly highest: number; readonly fleetNodes: readonly string[]; readonly log: (line: string) => void },
): Promise<RestoreDrillResult> {
  const { project, adminToken, snapshotFrom, highest, fleetNodes, log } = options;
  const { plan, user } = lab;
  const source = primaryRegionPlan(plan);
  const dir = path.join(plan.root, 'restore');
  const dataDir = path.join(dir, 'pg');
  const socketDir = path.join(dir, 'sock');
  for (const d of [dir, dataDir, socketDir]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (user.switchUser) chownSync(d, user.uid, user.gid);
  }
  const host = '127.0.5.1';
  const ports = kernelPorts();
  const port = await ports(host, 'postgres');
  const started = performance.now();
  log(`pgbackrest restore --type=time --target='${point.target}' from ${source.name}'s repository`);
  const restored = await pgbackrest(plan, source.members[0]!, ['--pg1-path', dataDir, '--type=time', `--target=${point.target}`, '--target-action=promote', 'restore'], user);
  if (restored.code !== 0) throw new Error(`pgbackrest restore exited ${restored.code}: ${restored.stdout}${restored.stderr}`);
  const restoreMs = Math.round(performance.now() - started);
  // The backup carries the member's Patroni-written postgresql.conf (its address, port, hba_file):
  // what differs here is given on the command line, which wins over it.
  const serverOptions = [
    `-c listen_addresses=${host}`,
    `-c port=${port}`,
    `-c unix_socket_directories=${socketDir}`,
    `-c hba_file=${path.join(dataDir, 'pg_hba.conf')}`,
    `-c ident_file=${path.join(dataDir, 'pg_ident.conf')}`,
    '-c archive_mode=off',
    '-c synchronous_standby_names=',
  ].join(' ');
  const logFile = path.join(dir, 'postgres.log');
  writeFileSync(logFile, '');
  if (user.switchUser) chownSync(logFile, user.uid, user.gid);
  const pgCtl = path.join(plan.pgBinDir, 'pg_ctl');
  const start = await run(pgCtl, ['-D', dataDir, '-o', serverOptions, '-l', logFile, '-w', '-t', '300', 'start'], { user, timeoutMs: 320_000 });
  if (start.code !== 0) throw new Error(`pg_ctl start of the restored server exited ${start.code}: ${start.stdout}${start.stderr}; see ${logFile}`);
  const url = `postgres://postgres:${encodeURIComponent(plan.secrets.superuser)}@${host}:${port}/verdict`;
  const sql = connect(url, { max: 1 });
  try {
    await waitFor('the restored server to finish recovery and promote', async () => ((await sql<{ r: boolean }[]>`SELECT pg_is_in_recovery() AS r`)[0]?.r === false ? true : undefined), { timeoutMs: 300_000 });
    const recoveredMs = Math.round(performance.now() - started);
    const state = await databaseState(sql, project);
    const matches = JSON.stringify(state) === JSON.stringify(point.state);
    log(`restored in ${recoveredMs} ms: ${state.releases.length} releases, ${state.decisionVersions} decision versions, ${state.deployments} deployments (${matches ? 'as at the restore point' : 'DIFFERENT from the restore point'})`);

    // A node that lived through the promotion remembers a newer generation in its snapshot.
    const nodeHost = '127.0.5.21';
    const nodePort = await ports(nodeHost, 'verdict');
    const nodeDir = path.join(dir, 'node');
    mkdirSync(nodeDir, { recursive: true });
    const snapshot = path.join(nodeDataDir(plan, snapshotFrom), 'snapshot');
    if (!existsSync(snapshot)) throw new Error(`${snapshotFrom} has no serving snapshot at ${snapshot}`);
    cpSync(snapshot, path.join(nodeDir, 'snapshot'), { recursive: true });
    const nodeUrl = `http://${nodeHost}:${nodePort}`;
    const nodeLog = path.join(plan.root, 'logs', 'restore-node.log');
    const startNode = () =>
      lab.processes.start({
        name: 'restore-node',
        kind: 'verdict',
        command: process.execPath,
        args: [VERDICT_BIN, 'serve'],
        logFile: nodeLog,
        asLabUser: false,
        env: { HOST: nodeHost, PORT: String(nodePort), VERDICT_DATA_DIR: nodeDir, DATABASE_URL: url, VERDICT_REGION: 'restore', VERDICT_NODE_ID: 'restore-node', VERDICT_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'info', VERDICT_ENGINE_HOSTS: '1', VERDICT_ENGINE_SPARE: 'false' },
      });
    const save = () =>
      call(`${nodeUrl}/api/projects/${project}/decisions/restore-check`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}` },
        body: { content: { nodes: [{ id: 'in', type: 'inputNode', name: 'Request', position: { x: 0, y: 0 } }, { id: 'out', type: 'outputNode', name: 'Response', position: { x: 200, y: 0 } }], edges: [{ id: 'e', type: 'edge', sourceId: 'in', targetId: 'out' }] } },
        timeoutMs: 15_000,
      });

    // Before: the node either refuses to start (it must migrate on a primary, and the only one is
    // fenced) or starts and refuses writes.
    startNode();
    const outcome = await waitFor(
      'the restore node to start or exit',
      async () => {
        if (!lab.processes.isRunning('restore-node')) return 'exited' as const;
        const live = await fetch(`${nodeUrl}/health/live`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false);
        return live ? ('live' as const) : undefined;
      },
      { timeoutMs: 120_000 },
    );
    let refusedBefore: string;
    if (outcome === 'exited') {
      const said = readFileSync(nodeLog, 'utf8').trim().split('\n').filter((l) => l.startsWith('verdict:')).at(-1) ?? '(nothing on its last line)';
      refusedBefore = `the node refused to start: ${said}`;
    } else {
      const before = await save();
      refusedBefore = before.ok ? 'a write was ACCEPTED' : `a write got ${before.status}: ${JSON.stringify((before.body as { detail?: unknown })?.detail ?? before.error)}`;
      await lab.processes.stop('restore-node', 10_000);
    }
    log(`a node remembering generation ${highest}, before --after-restore: ${refusedBefore}`);

    // The operator's step: raise the restored server's generation above what the fleet has seen.
    const topology = path.join(dir, 'topology.yaml');
    const fleet = fleetNodes.map((u) => `"${u}"`).join(', ');
    writeFileSync(topology, `version: 1\nprimary: restored\nregions:\n  - name: restored\n    postgres: { url: "postgres://postgres@${host}:${port}/verdict" }\n    nodes: [${fleet}]\n`);
    const raised = await verdictCli(['dr', 'promote', '--after-restore', '--topology', topology], { PGPASSWORD: plan.secrets.superuser, VERDICT_TOKEN: adminToken });
    if (raised.code !== 0) throw new Error(`verdict dr promote --after-restore exited ${raised.code}: ${raised.stderr.trim()}`);
    const afterRestore = raised.stdout.trim().split('\n').filter((l) => l.includes('->') || l.includes('had seen')).map((l) => l.trim()).join('; ');
    log(`verdict dr promote --after-restore: ${afterRestore}`);

    startNode();
    await waitForStatus(`${nodeUrl}/health/ready`, 200, { timeoutMs: 120_000, abortIf: exitedAmong(lab.processes, ['restore-node']) });
    const acceptedAfter = (await save()).ok;
    await lab.processes.stop('restore-node', 10_000);
    return { target: point.target, restoreMs, recoveredMs, expected: point.state, restored: state, matches, refusedBefore, afterRestore, acceptedAfter };
  } finally {
    await sql.end({ timeout: 1 });
    await run(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { user, timeoutMs: 60_000 });
  }
}
