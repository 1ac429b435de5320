import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { LocalPgCluster } from '../src/local-pg/index.js';
import { corpusPath } from '../test/helpers/corpus.js';

/** What every benchmark shares to set a server up: its admin token, API calls, the decisions, CPU pinning. */

export const ADMIN_TOKEN = 'vrd_api_bench-admin-token-0123456789abcdef';

/** A management call with the admin token; throws on any non-2xx answer. */
export async function api(base: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export interface BenchDecision {
  readonly name: string;
  readonly key: string;
  readonly file: string;
  readonly context: unknown;
}

export const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** The three decisions the evaluation figures are about (issue 16's table). */
export const DECISIONS: readonly BenchDecision[] = [
  { name: 'small table (12 rules)', key: 'shipping', file: corpusPath('graphs', 'decision-table-shipping.json'), context: readJson(corpusPath('graphs', 'decision-table-shipping.json')).tests[0].input },
  { name: 'expression-heavy (21 expr)', key: 'orders', file: corpusPath('graphs', 'order-consolidation-system.json'), context: readJson(corpusPath('graphs', 'order-consolidation-system.json')).tests[0].input },
  { name: 'large switch (30 nodes)', key: 'switch', file: corpusPath('engine-cases', 'switch-performance.json'), context: { x: 1 } },
];

export const canPin = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return availableParallelism() >= 2;
  } catch {
    return false;
  }
})();

/** Prefix that pins a command to one CPU when possible. */
export const onCore = (core: number, command: string, args: string[]): [string, string[]] =>
  canPin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];

export interface BenchCluster {
  readonly cluster: LocalPgCluster;
  /** Stops the cluster and deletes its directory. */
  remove(): Promise<void>;
}

/** A throwaway local PostgreSQL in a temporary directory, started (fsync off unless `durable`). */
export async function benchCluster(prefix: string, durable = false): Promise<BenchCluster> {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(root, 0o755);
  const cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable });
  const remove = async () => {
    await cluster.stop('immediate').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await cluster.init();
    await cluster.start();
  } catch (error) {
    await remove();
    throw error;
  }
  return { cluster, remove };
}
