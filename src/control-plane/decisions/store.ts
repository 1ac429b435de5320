import type { Queryable } from '../../db/connect.js';
import type { DecisionVersion, DecisionVersionSummary } from './schemas.js';
import type { JdmDocument } from '../../lib/jdm.js';

export interface DecisionRow {
  id: string;
  key: string;
  latestVersion: number;
  deleted: boolean;
}

interface VersionRow extends Omit<DecisionVersionSummary, 'createdAt' | 'deleted'> {
  tombstone: boolean;
  createdAt: Date;
}

const toSummary = ({ tombstone, createdAt, ...r }: VersionRow): DecisionVersionSummary => ({
  ...r,
  deleted: tombstone,
  createdAt: createdAt.toISOString(),
});

/** The decision row, locked against concurrent saves for the rest of the transaction. */
export async function lockDecision(q: Queryable, projectId: string, key: string): Promise<DecisionRow | undefined> {
  const [row] = await q<DecisionRow[]>`
    SELECT id, key, latest_version, deleted FROM decisions WHERE project_id = ${projectId} AND key = ${key} FOR UPDATE`;
  return row;
}

export async function findDecision(q: Queryable, projectId: string, key: string): Promise<DecisionRow | undefined> {
  const [row] = await q<DecisionRow[]>`
    SELECT id, key, latest_version, deleted FROM decisions WHERE project_id = ${projectId} AND key = ${key}`;
  return row;
}

/** Creates the decision row, or returns undefined when a concurrent transaction created it first. */
export async function insertDecision(q: Queryable, projectId: string, key: string): Promise<DecisionRow | undefined> {
  const [row] = await q<DecisionRow[]>`
    INSERT INTO decisions (project_id, key, latest_version) VALUES (${projectId}, ${key}, 1)
    ON CONFLICT (project_id, key) DO NOTHING
    RETURNING id, key, latest_version, deleted`;
  return row;
}

export async function insertVersion(
  q: Queryable,
  v: { decisionId: string; key: string; version: number; content: JdmDocument | null; contentHash: string | null; author: string; message: string },
): Promise<DecisionVersionSummary> {
  const [row] = await q<VersionRow[]>`
    INSERT INTO decision_versions (decision_id, version, tombstone, content, content_hash, author, message)
    VALUES (${v.decisionId}, ${v.version}, ${v.content === null}, ${v.content === null ? null : q.json(v.content as never)},
            ${v.contentHash}, ${v.author}, ${v.message})
    RETURNING ${v.key}::text AS key, version, tombstone, content_hash, author, message, created_at`;
  await q`UPDATE decisions SET latest_version = ${v.version}, deleted = ${v.content === null} WHERE id = ${v.decisionId}`;
  return toSummary(row!);
}

export async function versionSummary(q: Queryable, decision: DecisionRow, version: number): Promise<DecisionVersionSummary | undefined> {
  const [row] = await q<VersionRow[]>`
    SELECT ${decision.key}::text AS key, version, tombstone, content_hash, author, message, created_at
    FROM decision_versions WHERE decision_id = ${decision.id} AND version = ${version}`;
  return row && toSummary(row);
}

export async function getVersion(q: Queryable, decision: DecisionRow, version: number): Promise<DecisionVersion | undefined> {
  const [row] = await q<(VersionRow & { content: JdmDocument | null })[]>`
    SELECT ${decision.key}::text AS key, version, tombstone, content_hash, author, message, created_at, content
    FROM decision_versions WHERE decision_id = ${decision.id} AND version = ${version}`;
  if (!row) return undefined;
  const { content, ...rest } = row;
  return { ...toSummary(rest), content };
}

export async function listVersions(q: Queryable, decision: DecisionRow): Promise<DecisionVersionSummary[]> {
  const rows = await q<VersionRow[]>`
    SELECT ${decision.key}::text AS key, version, tombstone, content_hash, author, message, created_at
    FROM decision_versions WHERE decision_id = ${decision.id} ORDER BY version DESC`;
  return rows.map(toSummary);
}

/** The latest version of every decision in a project (tombstones only when asked). */
export async function listLatest(
  q: Queryable,
  projectId: string,
  options: { includeDeleted: boolean; prefix?: string | undefined },
): Promise<DecisionVersionSummary[]> {
  const rows = await q<VersionRow[]>`
    SELECT d.key, v.version, v.tombstone, v.content_hash, v.author, v.message, v.created_at
    FROM decisions d
    JOIN decision_versions v ON v.decision_id = d.id AND v.version = d.latest_version
    WHERE d.project_id = ${projectId}
      ${options.includeDeleted ? q`` : q`AND NOT d.deleted`}
      ${options.prefix ? q`AND starts_with(d.key, ${options.prefix})` : q``}
    ORDER BY d.key`;
  return rows.map(toSummary);
}

export interface CurrentDecision {
  decisionId: string;
  key: string;
  version: number;
  contentHash: string;
  content: JdmDocument;
}

/** What a release made now would contain: the latest non-deleted version of each decision, with content. */
export async function currentDecisions(q: Queryable, projectId: string): Promise<CurrentDecision[]> {
  return q<CurrentDecision[]>`
    SELECT d.id AS decision_id, d.key, v.version, v.content_hash, v.content
    FROM decisions d
    JOIN decision_versions v ON v.decision_id = d.id AND v.version = d.latest_version
    WHERE d.project_id = ${projectId} AND NOT d.deleted
    ORDER BY d.key`;
}

/** Gives a decision another key: its versions follow it, as they belong to its id, not its key. */
export async function setDecisionKey(q: Queryable, decisionId: string, key: string): Promise<void> {
  await q`UPDATE decisions SET key = ${key} WHERE id = ${decisionId}`;
}

/** The live decisions whose latest version has a sub-decision node, with that content. */
export async function decisionsCallingOthers(q: Queryable, projectId: string): Promise<{ key: string; content: JdmDocument }[]> {
  return q<{ key: string; content: JdmDocument }[]>`
    SELECT d.key, v.content
    FROM decisions d
    JOIN decision_versions v ON v.decision_id = d.id AND v.version = d.latest_version
    WHERE d.project_id = ${projectId} AND NOT d.deleted AND v.content @> ${q.json({ nodes: [{ type: 'decisionNode' }] })}`;
}
