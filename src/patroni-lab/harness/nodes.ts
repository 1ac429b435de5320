import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topologyFile } from '../files.js';
import type { PatroniLab } from '../lab.js';
import type { LabPlan, RegionPlan, VerdictNodePlan } from '../plan.js';
import { exitedAmong, waitForStatus } from '../wait.js';

export const VERDICT_BIN = fileURLToPath(new URL('../../../bin/verdict.js', import.meta.url));

/** How each node is tuned: a lab of 4 nodes, 6 PostgreSQL servers and 3 etcd on 2 cores. */
const NODE_SETTINGS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'info',
  VERDICT_HEARTBEAT_INTERVAL_MS: '1000',
  VERDICT_DB_TIMEOUT_MS: '2000',
  VERDICT_DB_WRITE_TIMEOUT_MS: '10000',
  VERDICT_MAX_READ_LAG_MS: '5000',
  VERDICT_ENGINE_HOSTS: '1',
  VERDICT_ENGINE_SPARE: 'false',
};

export const nodeUrl = (node: VerdictNodePlan): string => `http://${node.host}:${node.port}`;

/**
 * Where a node writes. The first node of a region goes through the regions' HAProxy writer
 * listeners (what most deployments do: one address per region, HAProxy follows Patroni's leader);
 * the others list every member of every region and find the primary themselves (Verdict's own
 * discovery: the writable server with the highest cluster generation).
 */
export function writerUrl(plan: LabPlan, index: number): string {
  const auth = `postgres:${encodeURIComponent(plan.secrets.superuser)}`;
  const hosts =
    index === 0
      ? plan.regions.map((r) => `${r.haproxy.host}:${r.haproxy.writerPort}`)
      : plan.regions.flatMap((r) => r.members.map((m) => `${m.host}:${m.pgPort}`));
  return `postgres://${auth}@${hosts.join(',')}/verdict`;
}

/** A node reads its own region, through its HAProxy reader (the leader or a replica within 16 MB). */
export const readerUrl = (plan: LabPlan, region: RegionPlan): string =>
  `postgres://postgres:${encodeURIComponent(plan.secrets.superuser)}@${region.haproxy.host}:${region.haproxy.readerPort}/verdict`;

export const nodeDataDir = (plan: LabPlan, nodeName: string): string => path.join(plan.root, 'verdict', nodeName);

/** Starts a region's Verdict nodes (ours, not the lab user's) and waits until each is ready. */
export async function startNodes(lab: PatroniLab, region: RegionPlan, adminToken: string, timeoutMs = 120_000): Promise<void> {
  const { plan } = lab;
  for (const [index, node] of region.nodes.entries()) {
    const dataDir = nodeDataDir(plan, node.name);
    mkdirSync(dataDir, { recursive: true });
    lab.processes.start({
      name: node.name,
      kind: 'verdict',
      command: process.execPath,
      args: [VERDICT_BIN, 'serve'],
      logFile: path.join(plan.root, 'logs', `${node.name}.log`),
      asLabUser: false,
      env: {
        ...NODE_SETTINGS,
        HOST: node.host,
        PORT: String(node.port),
        VERDICT_DATA_DIR: dataDir,
        DATABASE_URL: writerUrl(plan, index),
        DATABASE_READ_URL: readerUrl(plan, region),
        VERDICT_REGION: region.name,
        VERDICT_NODE_ID: node.name,
        VERDICT_ADMIN_TOKEN: adminToken,
        VERDICT_TOPOLOGY: topologyFile(plan.root),
      },
    });
  }
  await Promise.all(
    region.nodes.map((node) => waitForStatus(`${nodeUrl(node)}/health/ready`, 200, { timeoutMs, abortIf: exitedAmong(lab.processes, [node.name]) })),
  );
}
