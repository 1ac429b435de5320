import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Sql } from '../db/connect.js';
import { compareLsn } from '../db/database.js';
import { regionOf, type Topology } from '../topology/model.js';
import { DrError } from './errors.js';
import type { ServerStatus } from './status.js';

/** How long the fence may take to hold. */
const FENCE_TIMEOUT_MS = 5_000;
const CATCH_UP_GRACE_MS = 2_000;

/**
 * Stops the primary taking writes without stopping it: read-only by default, client sessions
 * ended. Returns its final WAL position: every acknowledged commit lies at or before it.
 */
export async function fenceReadOnly(url: string): Promise<string> {
  const sql = connect(url, { max: 1 });
  try {
    await setDefaultReadOnly(sql, true);
    // Wait for each ended session to be gone: one that was committing flushes its commit first.
    await sql`SELECT pg_terminate_backend(pid, ${FENCE_TIMEOUT_MS}::bigint) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`;
    const [row] = await sql<{ lsn: string }[]>`SELECT pg_current_wal_flush_lsn()::text AS lsn`;
    return row!.lsn;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The switchover did not happen: the old primary is the primary, writable, again. */
export async function liftFence(url: string): Promise<void> {
  const sql = connect(url, { max: 1 });
  try {
    await setDefaultReadOnly(sql, false);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * ALTER SYSTEM + reload, and wait until it holds: the postmaster passes a reload on to its
 * sessions once it has read the file itself, so when this session sees the value, every session
 * started from now on has it too.
 */
async function setDefaultReadOnly(sql: Sql, on: boolean): Promise<void> {
  await sql.unsafe(on ? `ALTER SYSTEM SET default_transaction_read_only = on` : `ALTER SYSTEM RESET default_transaction_read_only`);
  await sql`SELECT pg_reload_conf()`;
  const deadline = Date.now() + FENCE_TIMEOUT_MS;
  while ((await sql<{ on: boolean }[]>`SELECT current_setting('default_transaction_read_only')::bool AS on`)[0]!.on !== on) {
    if (Date.now() > deadline) throw new DrError(`default_transaction_read_only did not become ${on ? 'on' : 'off'} within ${FENCE_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

/**
 * Waits until the candidates have received the fenced primary's final position and returns the
 * first of them in region order that has: any of them holds every acknowledged write, and the
 * order keeps the choice stable. Once one has it, the others get a short grace rather than the
 * whole timeout (the old primary takes no writes meanwhile). Fails naming what each one received.
 */
export async function firstToReceive(topology: Topology, candidates: readonly ServerStatus[], lsn: string, timeoutMs: number): Promise<ServerStatus> {
  const standbys = candidates.map((s) => connect(regionOf(topology, s.region).postgres.url, { max: 1, connectTimeoutSeconds: 2 }));
  const received: (string | null)[] = candidates.map(() => null);
  const has = (i: number) => compareLsn(received[i] ?? '0/0', lsn) >= 0;
  const deadline = Date.now() + timeoutMs;
  let graceEnds: number | undefined;
  try {
    for (;;) {
      await Promise.all(
        standbys.map(async (sql, i) => {
          if (has(i)) return;
          const [row] = await sql<{ lsn: string | null }[]>`SELECT pg_last_wal_receive_lsn()::text AS lsn`.catch(() => [{ lsn: received[i] ?? null }]);
          received[i] = row?.lsn ?? null;
        }),
      );
      const first = candidates.findIndex((_, i) => has(i));
      if (first >= 0) graceEnds ??= Date.now() + CATCH_UP_GRACE_MS;
      if (first >= 0 && (candidates.every((_, i) => has(i)) || Date.now() > graceEnds!)) return candidates[first]!;
      if (Date.now() > deadline) {
        throw new DrError(
          `no standby received the old primary's final WAL position ${lsn} within ${timeoutMs} ms ` +
            `(${candidates.map((s, i) => `${s.region} has ${received[i] ?? 'nothing'}`).join(', ')}): switching over would lose writes`,
        );
      }
      await sleep(20);
    }
  } finally {
    await Promise.all(standbys.map((sql) => sql.end({ timeout: 1 })));
  }
}
