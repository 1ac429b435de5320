import type { Queryable } from '../../db/connect.js';
import type { WebhookEmitter } from './events.js';

interface LaggingNode {
  nodeId: string;
  region: string;
  lastSeenAt: Date;
  environmentId: string;
  environment: string;
  projectId: string;
  projectKey: string;
  releaseId: string;
  releaseLabel: string;
  deployedAt: Date;
  servingReleaseId: string | null;
  servingReleaseLabel: string | null;
}

/**
 * Emits `node.out-of-sync` for every live node (heartbeat within three intervals) that, longer
 * than `thresholdMs` after an environment's current deployment, still reports serving another
 * release there (or none). Once per node, environment and deployed release: the report is
 * remembered in the same transaction as the event, so several nodes checking at once, or one
 * checking every few seconds, send it once. Does nothing unless someone subscribed to it.
 */
export async function reportOutOfSyncNodes(q: Queryable, emitter: WebhookEmitter, thresholdMs: number): Promise<number> {
  const lagging = await q<LaggingNode[]>`
    WITH wanted AS (
      SELECT 1 FROM webhook_subscriptions
      WHERE deleted_at IS NULL AND ('node.out-of-sync' = ANY (events) OR '*' = ANY (events)) LIMIT 1
    ),
    current AS (
      SELECT DISTINCT ON (d.environment_id) d.environment_id, d.release_id, d.created_at
      FROM deployments d ORDER BY d.environment_id, d.id DESC
    )
    SELECT n.node_id, n.region, n.last_seen_at, e.id AS environment_id, e.key AS environment, p.id AS project_id, p.key AS project_key,
           c.release_id, r.label AS release_label, c.created_at AS deployed_at,
           s.value->>'releaseId' AS serving_release_id, s.value->>'releaseLabel' AS serving_release_label
    FROM wanted, current c
    JOIN environments e ON e.id = c.environment_id
    JOIN projects p ON p.id = e.project_id
    JOIN releases r ON r.id = c.release_id
    CROSS JOIN fleet_nodes n
    LEFT JOIN LATERAL (
      SELECT value FROM jsonb_array_elements(n.serving) WHERE value->>'environmentId' = e.id::text LIMIT 1
    ) s ON true
    WHERE c.created_at < now() - make_interval(secs => ${thresholdMs / 1000})
      AND n.last_seen_at >= now() - make_interval(secs => n.heartbeat_interval_ms * 3 / 1000.0)
      AND (s.value->>'releaseId') IS DISTINCT FROM c.release_id::text
      AND NOT EXISTS (
        SELECT 1 FROM webhook_out_of_sync_reported o
        WHERE o.node_id = n.node_id AND o.environment_id = e.id AND o.release_id = c.release_id
      )
    LIMIT 100`;
  let reported = 0;
  for (const l of lagging) {
    const [fresh] = await q`
      INSERT INTO webhook_out_of_sync_reported (node_id, environment_id, release_id) VALUES (${l.nodeId}, ${l.environmentId}, ${l.releaseId})
      ON CONFLICT DO NOTHING RETURNING 1`;
    if (!fresh) continue; // another node reported it first
    await emitter.emit(q, {
      type: 'node.out-of-sync',
      project: { id: l.projectId, key: l.projectKey },
      data: {
        nodeId: l.nodeId,
        region: l.region,
        environment: l.environment,
        deployed: { id: l.releaseId, label: l.releaseLabel, deployedAt: l.deployedAt.toISOString() },
        serving: l.servingReleaseId ? { id: l.servingReleaseId, label: l.servingReleaseLabel ?? '' } : null,
        lastSeenAt: l.lastSeenAt.toISOString(),
      },
    });
    reported++;
  }
  return reported;
}
