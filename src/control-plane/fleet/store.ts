import type { Queryable } from '../../db/connect.js';
import type { FleetNode, Served } from './schemas.js';

export interface Heartbeat {
  readonly nodeId: string;
  readonly region: string;
  readonly version: string;
  readonly startedAt: Date;
  readonly heartbeatIntervalMs: number;
  readonly dbRole: string;
  readonly changeCounter: number | null;
  readonly reloadedAt: Date | null;
  readonly serving: readonly Served[];
}

export async function upsertHeartbeat(q: Queryable, h: Heartbeat): Promise<void> {
  await q`
    INSERT INTO fleet_nodes (node_id, region, version, started_at, last_seen_at, heartbeat_interval_ms, db_role, change_counter, reloaded_at, serving)
    VALUES (${h.nodeId}, ${h.region}, ${h.version}, ${h.startedAt}, now(), ${h.heartbeatIntervalMs}, ${h.dbRole}, ${h.changeCounter}, ${h.reloadedAt}, ${q.json(h.serving as never)})
    ON CONFLICT (node_id) DO UPDATE SET
      region = excluded.region, version = excluded.version, started_at = excluded.started_at, last_seen_at = now(),
      heartbeat_interval_ms = excluded.heartbeat_interval_ms, db_role = excluded.db_role, change_counter = excluded.change_counter,
      reloaded_at = excluded.reloaded_at, serving = excluded.serving`;
}

interface NodeRow extends Omit<FleetNode, 'startedAt' | 'lastSeenAt' | 'reloadedAt'> {
  startedAt: Date;
  lastSeenAt: Date;
  reloadedAt: Date | null;
}

/** Nodes seen within the last hour (or all), with `stale` computed by the database clock. */
export async function listNodes(q: Queryable, includeGone: boolean): Promise<FleetNode[]> {
  const rows = await q<NodeRow[]>`
    SELECT node_id, region, version, started_at, last_seen_at, db_role, change_counter, reloaded_at, serving,
           last_seen_at < now() - make_interval(secs => heartbeat_interval_ms * 3 / 1000.0) AS stale
    FROM fleet_nodes
    WHERE ${includeGone} OR last_seen_at > now() - interval '1 hour'
    ORDER BY region, node_id`;
  return rows.map((r) => ({
    ...r,
    startedAt: r.startedAt.toISOString(),
    lastSeenAt: r.lastSeenAt.toISOString(),
    reloadedAt: r.reloadedAt?.toISOString() ?? null,
  }));
}
