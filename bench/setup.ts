import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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
