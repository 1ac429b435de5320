import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../db/connect.js';
import { readGeneration } from '../db/generation.js';
import type { Topology } from '../topology/model.js';
import { DrError } from './errors.js';

/** Where a generation was seen: a node (its snapshot and its probes) or a server. */
export interface GenerationSighting {
  readonly source: string;
  readonly generation: number | null;
  readonly error?: string;
}

/**
 * The highest cluster generation each Verdict node of the topology has seen (`GET /health` with an
 * admin token: `database.highestGeneration`, which includes what its snapshot on disk remembers).
 * A node that does not answer is listed with why: the operator decides whether `--generation-above`
 * must cover it (a node that is down remembers its snapshot's generation when it starts).
 */
export async function generationsSeenByNodes(topology: Topology, adminToken: string | undefined): Promise<GenerationSighting[]> {
  const nodes = topology.regions.flatMap((r) => r.nodes);
  return Promise.all(
    nodes.map(async (url): Promise<GenerationSighting> => {
      if (!adminToken) return { source: url, generation: null, error: 'no admin token (VERDICT_TOKEN) to ask it' };
      try {
        const response = await fetch(`${url.replace(/\/+$/, '')}/health`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(3000) });
        if (response.status !== 200) {
          await response.body?.cancel();
          return { source: url, generation: null, error: `answered ${response.status}` };
        }
        const body = (await response.json()) as { database?: { highestGeneration?: unknown } };
        const seen = body.database?.highestGeneration;
        return { source: url, generation: typeof seen === 'number' ? seen : null };
      } catch (error) {
        return { source: url, generation: null, error: (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message };
      }
    }),
  );
}

/**
 * Raises the generation on `url` (a writable server) to `floor + 1` when it is not already above
 * `floor`, else by one: a promotion or a restore must leave it above every generation any node has
 * seen, or nodes that remember a higher one refuse it as an old primary.
 */
export async function raiseGeneration(url: string, floor: number, by: string, note: string): Promise<number> {
  const sql = connect(url, { max: 1 });
  try {
    const [row] = await sql<{ generation: number }[]>`
      UPDATE cluster_state SET generation = GREATEST(generation + 1, ${floor + 1}::bigint), changed_at = now(), changed_by = ${by}, note = ${note}
      RETURNING generation`;
    if (!row) throw new DrError('cluster_state has no row: is this a Verdict database?');
    return Number(row.generation);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Waits until `url` answers as a writable server (a load balancer may take a moment to follow a new leader). */
export async function waitForWritable(url: string, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const sql = connect(url, { max: 1, connectTimeoutSeconds: 2 });
    try {
      const [row] = await sql<{ recovery: boolean }[]>`SELECT pg_is_in_recovery() AS recovery`;
      if (row && !row.recovery) return await readGeneration(sql);
      last = 'still in recovery (a standby)';
    } catch (error) {
      last = (error as Error).message;
    } finally {
      await sql.end({ timeout: 0 });
    }
    if (Date.now() > deadline) throw new DrError(`${url.replace(/\/\/[^@/]*@/, '//')} did not answer as a writable server within ${Math.round(timeoutMs / 1000)} s (${last})`);
    await sleep(250);
  }
}
