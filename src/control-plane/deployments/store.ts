import type { Queryable } from '../../db/connect.js';
import type { Deployment } from './schemas.js';

interface DeploymentRow {
  id: number;
  environment: string;
  environmentId: string;
  kind: Deployment['kind'];
  releaseId: string;
  releaseLabel: string;
  releaseHash: string;
  previousReleaseId: string | null;
  previousReleaseLabel: string | null;
  changeSeq: number;
  deployedBy: string;
  createdAt: Date;
}

const toDeployment = (r: DeploymentRow): Deployment => ({
  id: r.id,
  environment: r.environment,
  environmentId: r.environmentId,
  kind: r.kind,
  release: { id: r.releaseId, label: r.releaseLabel, contentHash: r.releaseHash },
  previousRelease: r.previousReleaseId ? { id: r.previousReleaseId, label: r.previousReleaseLabel! } : null,
  changeSeq: r.changeSeq,
  deployedBy: r.deployedBy,
  createdAt: r.createdAt.toISOString(),
});

const select = (q: Queryable) => q`
  SELECT d.id, e.key AS environment, d.environment_id, d.kind, d.release_id, r.label AS release_label, r.content_hash AS release_hash,
         d.previous_release_id, pr.label AS previous_release_label, d.change_seq, d.deployed_by, d.created_at
  FROM deployments d
  JOIN environments e ON e.id = d.environment_id
  JOIN releases r ON r.id = d.release_id
  LEFT JOIN releases pr ON pr.id = d.previous_release_id`;

export async function insertDeployment(
  q: Queryable,
  d: {
    projectId: string;
    environmentId: string;
    releaseId: string;
    previousReleaseId: string | null;
    kind: Deployment['kind'];
    changeSeq: number;
    deployedBy: string;
  },
): Promise<Deployment> {
  const [row] = await q<{ id: number }[]>`
    INSERT INTO deployments (project_id, environment_id, release_id, previous_release_id, kind, change_seq, deployed_by)
    VALUES (${d.projectId}, ${d.environmentId}, ${d.releaseId}, ${d.previousReleaseId}, ${d.kind}, ${d.changeSeq}, ${d.deployedBy})
    RETURNING id`;
  return (await findDeployment(q, row!.id))!;
}

export async function findDeployment(q: Queryable, id: number): Promise<Deployment | undefined> {
  const [row] = await q<DeploymentRow[]>`${select(q)} WHERE d.id = ${id}`;
  return row && toDeployment(row);
}

export async function listDeployments(q: Queryable, environmentId: string, limit: number): Promise<Deployment[]> {
  const rows = await q<DeploymentRow[]>`${select(q)} WHERE d.environment_id = ${environmentId} ORDER BY d.id DESC LIMIT ${limit}`;
  return rows.map(toDeployment);
}

/** Every deployment of an environment, oldest first: kind and release only. */
export async function deploymentTrail(q: Queryable, environmentId: string): Promise<{ kind: Deployment['kind']; releaseId: string }[]> {
  return q<{ kind: Deployment['kind']; releaseId: string }[]>`
    SELECT kind, release_id FROM deployments WHERE environment_id = ${environmentId} ORDER BY id`;
}
