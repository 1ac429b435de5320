import type { Queryable } from '../../db/connect.js';
import type { JdmDocument } from '../../lib/jdm.js';
import type { Release, ReleaseEntry } from './schemas.js';

interface ReleaseRow extends Omit<Release, 'createdAt'> {
  createdAt: Date;
}

const toRelease = (r: ReleaseRow): Release => ({ ...r, createdAt: r.createdAt.toISOString() });

const columns = (q: Queryable) => q`
  r.id, r.seq, r.label, r.content_hash, r.notes, r.created_by, r.created_at,
  (SELECT count(*)::int FROM release_decisions rd WHERE rd.release_id = r.id) AS decision_count`;

export async function nextReleaseSeq(q: Queryable, projectId: string): Promise<number> {
  const [row] = await q<{ next: number }[]>`SELECT coalesce(max(seq), 0) + 1 AS next FROM releases WHERE project_id = ${projectId}`;
  return row!.next;
}

export async function insertRelease(
  q: Queryable,
  r: { id?: string | undefined; projectId: string; seq: number; label: string; contentHash: string; notes: string; createdBy: string },
  entries: readonly (ReleaseEntry & { decisionId: string })[],
): Promise<Release> {
  const [row] = await q<{ id: string }[]>`
    INSERT INTO releases (id, project_id, seq, label, content_hash, notes, created_by)
    VALUES (coalesce(${r.id ?? null}::uuid, gen_random_uuid()), ${r.projectId}, ${r.seq}, ${r.label}, ${r.contentHash}, ${r.notes}, ${r.createdBy})
    RETURNING id`;
  const id = row!.id;
  if (entries.length > 0) {
    await q`
      INSERT INTO release_decisions ${q(
        entries.map((e) => ({ release_id: id, key: e.key, decision_id: e.decisionId, version: e.version, content_hash: e.contentHash })),
      )}`;
  }
  return (await findReleaseById(q, r.projectId, id))!;
}

export async function findReleaseById(q: Queryable, projectId: string, id: string): Promise<Release | undefined> {
  const [row] = await q<ReleaseRow[]>`SELECT ${columns(q)} FROM releases r WHERE r.project_id = ${projectId} AND r.id = ${id}`;
  return row && toRelease(row);
}

export async function findReleaseByLabel(q: Queryable, projectId: string, label: string): Promise<Release | undefined> {
  const [row] = await q<ReleaseRow[]>`SELECT ${columns(q)} FROM releases r WHERE r.project_id = ${projectId} AND r.label = ${label}`;
  return row && toRelease(row);
}

export async function findLatestRelease(q: Queryable, projectId: string): Promise<Release | undefined> {
  const [row] = await q<ReleaseRow[]>`
    SELECT ${columns(q)} FROM releases r WHERE r.project_id = ${projectId} ORDER BY r.seq DESC LIMIT 1`;
  return row && toRelease(row);
}

export async function listReleases(q: Queryable, projectId: string): Promise<Release[]> {
  const rows = await q<ReleaseRow[]>`SELECT ${columns(q)} FROM releases r WHERE r.project_id = ${projectId} ORDER BY r.seq DESC`;
  return rows.map(toRelease);
}

export async function releaseEntries(q: Queryable, releaseId: string): Promise<ReleaseEntry[]> {
  return q<ReleaseEntry[]>`SELECT key, version, content_hash FROM release_decisions WHERE release_id = ${releaseId} ORDER BY key`;
}

export interface ReleasedDecision extends ReleaseEntry {
  content: JdmDocument;
}

/** Every decision of a release with its content: what an evaluating node loads. */
export async function releaseContents(q: Queryable, releaseId: string, key?: string): Promise<ReleasedDecision[]> {
  return q<ReleasedDecision[]>`
    SELECT rd.key, rd.version, rd.content_hash, v.content
    FROM release_decisions rd
    JOIN decision_versions v ON v.decision_id = rd.decision_id AND v.version = rd.version
    WHERE rd.release_id = ${releaseId} ${key === undefined ? q`` : q`AND rd.key = ${key}`}
    ORDER BY rd.key`;
}

/** The content of the named decisions of a release (for content diffs of a few changed decisions). */
export async function releaseContentsOf(q: Queryable, releaseId: string, keys: readonly string[]): Promise<ReleasedDecision[]> {
  if (keys.length === 0) return [];
  return q<ReleasedDecision[]>`
    SELECT rd.key, rd.version, rd.content_hash, v.content
    FROM release_decisions rd
    JOIN decision_versions v ON v.decision_id = rd.decision_id AND v.version = rd.version
    WHERE rd.release_id = ${releaseId} AND rd.key IN ${q(keys)}
    ORDER BY rd.key`;
}
