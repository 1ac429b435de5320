import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Sql } from '../db/connect.js';
import { streamingConninfo, type TopologyRegion } from '../topology/model.js';

const FOLLOW_TIMEOUT_MS = 10_000;

/** A running standby streams from another upstream after a reload (PostgreSQL 13+): no restart. */
export async function repoint(standby: TopologyRegion, upstream: TopologyRegion): Promise<void> {
  const sql = connect(standby.postgres.url, { max: 1 });
  try {
    await sql.unsafe(`ALTER SYSTEM SET primary_conninfo = '${streamingConninfo(upstream, standby)}'`);
    await sql.unsafe(`ALTER SYSTEM SET primary_slot_name = '${standby.postgres.standbyName}'`);
    await sql`SELECT pg_reload_conf()`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function waitForFollowers(primary: Sql, names: readonly string[]): Promise<Set<string>> {
  const deadline = Date.now() + FOLLOW_TIMEOUT_MS;
  for (;;) {
    const rows = await primary<{ name: string }[]>`SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'`;
    const following = new Set(rows.map((r) => r.name).filter((n) => names.includes(n)));
    if (following.size === names.length || Date.now() > deadline) return following;
    await sleep(100);
  }
}
