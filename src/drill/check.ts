import { connect } from '../db/connect.js';
import type { WriteRecord } from './write-stream.js';

export interface WriteCheck {
  readonly acknowledged: number;
  /** Acknowledged, but missing from the surviving primary: data loss (RPO). */
  readonly lost: readonly string[];
  /** Applied more than once (several audit entries for one request id, or several rows it made). */
  readonly duplicates: readonly string[];
  /**
   * Present although the client was told it failed (a 4xx refusal), or never sent at all (an
   * audit entry with the run's id prefix that no write of the log carries).
   */
  readonly unexpected: readonly string[];
  /** No acknowledgement: the client cannot know, and either outcome is correct. */
  readonly unacknowledged: number;
  readonly unacknowledgedApplied: number;
}

/**
 * The set checker: every acknowledged write must be on the surviving primary, once. A write is
 * there when its Idempotency-Key row (committed in the same transaction as the write) is, and what
 * it made is: for a deploy that changed something, its deployment row with the acknowledged
 * release; for a release, the release with its label; for a save, the decision version whose
 * content carries its id. `idPrefix` (the ids the stream made) also finds writes never sent.
 */
export async function checkWrites(primaryUrl: string, log: readonly WriteRecord[], options: { readonly idPrefix?: string } = {}): Promise<WriteCheck> {
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
    const made = await rowsMade(sql, log);
    const audit = await sql<{ requestId: string; n: number }[]>`
      SELECT request_id, count(*)::int AS n FROM audit_log WHERE request_id = ANY(${ids}::text[]) GROUP BY request_id`;
    const applied = (w: WriteRecord) => keys.has(w.id) || (made.get(w.id) ?? 0) > 0;
    const acked = log.filter((w) => w.ackAt !== null);
    const lost = acked
      .filter((w) => {
        if (!keys.has(w.id)) return true;
        if (w.kind === 'deploy') return w.unchanged === false && deployments.get(w.deploymentId!) !== w.release;
        return (made.get(w.id) ?? 0) === 0;
      })
      .map((w) => w.id);
    const duplicates = new Set([...audit.filter((a) => a.n > 1).map((a) => a.requestId), ...[...made].filter(([, n]) => n > 1).map(([id]) => id)]);
    const refused = log.filter((w) => w.ackAt === null && w.lastStatus !== null && w.lastStatus >= 400 && w.lastStatus < 500 && w.lastStatus !== 409);
    const unexpected = refused.filter(applied).map((w) => w.id);
    if (options.idPrefix !== undefined) {
      const sent = new Set(ids);
      const logged = await sql<{ requestId: string }[]>`SELECT DISTINCT request_id FROM audit_log WHERE starts_with(request_id, ${options.idPrefix})`;
      unexpected.push(...logged.map((r) => r.requestId).filter((id) => !sent.has(id)));
    }
    const unacked = log.filter((w) => w.ackAt === null);
    return {
      acknowledged: acked.length,
      lost,
      duplicates: [...duplicates],
      unexpected,
      unacknowledged: unacked.length,
      unacknowledgedApplied: unacked.filter(applied).length,
    };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** How many rows each release and save made: one is right, two a duplicate, none a loss. */
async function rowsMade(sql: ReturnType<typeof connect>, log: readonly WriteRecord[]): Promise<Map<string, number>> {
  const releases = log.filter((w) => w.kind === 'release');
  const saves = log.filter((w) => w.kind === 'save').map((w) => w.id);
  const counts = new Map<string, number>();
  if (releases.length > 0) {
    const rows = await sql<{ label: string; n: number }[]>`
      SELECT label, count(*)::int AS n FROM releases WHERE label = ANY(${releases.map((w) => w.release)}::text[]) GROUP BY label`;
    const byLabel = new Map(rows.map((r) => [r.label, r.n]));
    for (const w of releases) counts.set(w.id, byLabel.get(w.release) ?? 0);
  }
  if (saves.length > 0) {
    const rows = await sql<{ id: string; n: number }[]>`
      SELECT m.id, count(v.version)::int AS n FROM unnest(${saves}::text[]) AS m(id)
      LEFT JOIN decision_versions v ON v.content IS NOT NULL AND strpos(v.content::text, m.id) > 0 GROUP BY m.id`;
    for (const r of rows) counts.set(r.id, r.n);
  }
  return counts;
}
