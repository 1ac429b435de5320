import { connect } from '../../db/connect.js';
import type { WriteRecord } from './write-stream.js';

export interface WriteCheck {
  readonly acknowledged: number;
  /** Acknowledged, but missing from the surviving primary: data loss (RPO). */
  readonly lost: readonly string[];
  /** Applied more than once (several audit entries for one request id). */
  readonly duplicates: readonly string[];
  /** No acknowledgement: the client cannot know, and either outcome is correct. */
  readonly unacknowledged: number;
  readonly unacknowledgedApplied: number;
}

/**
 * The set checker: every acknowledged write must be on the surviving primary, once. A write is
 * there when its Idempotency-Key row (committed in the same transaction as the deploy) is, and,
 * for a deploy that changed something, its deployment row with the acknowledged release.
 */
export async function checkWrites(primaryUrl: string, log: readonly WriteRecord[]): Promise<WriteCheck> {
  const sql = connect(primaryUrl, { max: 1 });
  try {
    const ids = log.map((w) => w.id);
    const keys = new Set(
      (await sql<{ key: string }[]>`SELECT key FROM idempotency_keys WHERE key = ANY(${ids}::text[]) AND response IS NOT NULL`).map((r) => r.key),
    );
    const deployments = new Map(
      (
        await sql<{ id: string; release: string }[]>`
          SELECT d.id::text AS id, r.label AS release FROM deployments d JOIN releases r ON r.id = d.release_id
          WHERE d.id::text = ANY(${log.filter((w) => w.deploymentId !== null).map((w) => w.deploymentId!)}::text[])`
      ).map((r) => [r.id, r.release]),
    );
    const audit = await sql<{ requestId: string; n: number }[]>`
      SELECT request_id, count(*)::int AS n FROM audit_log WHERE request_id = ANY(${ids}::text[]) GROUP BY request_id`;
    const acked = log.filter((w) => w.ackAt !== null);
    const lost = acked
      .filter((w) => !keys.has(w.id) || (w.unchanged === false && deployments.get(w.deploymentId!) !== w.release))
      .map((w) => w.id);
    const unacked = log.filter((w) => w.ackAt === null);
    return {
      acknowledged: acked.length,
      lost,
      duplicates: audit.filter((a) => a.n > 1).map((a) => a.requestId),
      unacknowledged: unacked.length,
      unacknowledgedApplied: unacked.filter((w) => keys.has(w.id)).length,
    };
  } finally {
    await sql.end({ timeout: 1 });
  }
}
