import type { Queryable } from '../../db/connect.js';
import type { Environment, Protection } from './schemas.js';

interface EnvironmentRow {
  id: string;
  key: string;
  name: string;
  createdAt: Date;
  createdBy: string;
  deploymentId: number | null;
  releaseId: string | null;
  releaseLabel: string | null;
  deployedAt: Date | null;
  deployedBy: string | null;
  requiredApprovals: number;
  approverRole: 'admin' | 'deployer' | null;
  approverGroup: string | null;
  requestTtlSeconds: number;
}

const toEnvironment = (r: EnvironmentRow): Environment => ({
  id: r.id,
  key: r.key,
  name: r.name,
  createdAt: r.createdAt.toISOString(),
  createdBy: r.createdBy,
  current:
    r.deploymentId === null
      ? null
      : { deploymentId: r.deploymentId, releaseId: r.releaseId!, releaseLabel: r.releaseLabel!, deployedAt: r.deployedAt!.toISOString(), deployedBy: r.deployedBy! },
  protection: { requiredApprovals: r.requiredApprovals, approverRole: r.approverRole, approverGroup: r.approverGroup, requestTtlSeconds: r.requestTtlSeconds },
});

const select = (q: Queryable) => q`
  SELECT e.id, e.key, e.name, e.created_at, e.created_by, e.required_approvals, e.approver_role, e.approver_group, e.request_ttl_seconds,
         d.id AS deployment_id, d.release_id, r.label AS release_label, d.created_at AS deployed_at, d.deployed_by
  FROM environments e
  LEFT JOIN LATERAL (SELECT * FROM deployments WHERE environment_id = e.id ORDER BY id DESC LIMIT 1) d ON true
  LEFT JOIN releases r ON r.id = d.release_id`;

export async function insertEnvironment(
  q: Queryable,
  e: { projectId: string; key: string; name: string; createdBy: string; protection: Protection },
): Promise<string> {
  const p = e.protection;
  const [row] = await q<{ id: string }[]>`
    INSERT INTO environments (project_id, key, name, created_by, required_approvals, approver_role, approver_group, request_ttl_seconds)
    VALUES (${e.projectId}, ${e.key}, ${e.name}, ${e.createdBy}, ${p.requiredApprovals}, ${p.approverRole}, ${p.approverGroup}, ${p.requestTtlSeconds})
    RETURNING id`;
  return row!.id;
}

export async function updateEnvironment(q: Queryable, id: string, e: { name: string; protection: Protection }): Promise<void> {
  const p = e.protection;
  await q`
    UPDATE environments SET name = ${e.name}, required_approvals = ${p.requiredApprovals}, approver_role = ${p.approverRole},
      approver_group = ${p.approverGroup}, request_ttl_seconds = ${p.requestTtlSeconds}
    WHERE id = ${id}`;
}

export async function findEnvironment(q: Queryable, projectId: string, key: string): Promise<Environment | undefined> {
  const [row] = await q<EnvironmentRow[]>`${select(q)} WHERE e.project_id = ${projectId} AND e.key = ${key}`;
  return row && toEnvironment(row);
}

export async function listEnvironments(q: Queryable, projectId: string): Promise<Environment[]> {
  const rows = await q<EnvironmentRow[]>`${select(q)} WHERE e.project_id = ${projectId} ORDER BY e.key`;
  return rows.map(toEnvironment);
}

/**
 * The environment, locked: serialises deployments to it so each sees the one before it. The lock
 * and the read are two statements on purpose: in READ COMMITTED a statement that waited for the
 * lock would still read the deployments as of its own start, missing the one it waited for.
 */
export async function lockEnvironment(q: Queryable, projectId: string, key: string): Promise<Environment | undefined> {
  const locked = await q`SELECT id FROM environments WHERE project_id = ${projectId} AND key = ${key} FOR UPDATE`;
  return locked.length === 0 ? undefined : findEnvironment(q, projectId, key);
}
