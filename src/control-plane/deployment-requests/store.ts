import type { Queryable } from '../../db/connect.js';
import type { DeploymentRequest, RequestStatus } from './schemas.js';

interface RequestRow {
  id: number;
  project: string;
  environment: string;
  environmentId: string;
  kind: DeploymentRequest['kind'];
  releaseId: string;
  releaseLabel: string;
  releaseHash: string;
  comment: string;
  source: DeploymentRequest['source'];
  requestedBy: string;
  requestedBySubject: string;
  requiredApprovals: number;
  approverRole: string | null;
  approverGroup: string | null;
  status: RequestStatus;
  createdAt: Date;
  expiresAt: Date;
  closedAt: Date | null;
  closedBy: string | null;
  deploymentId: number | null;
  reviews: { reviewer: string; reviewerSubject: string; verdict: 'approve' | 'reject'; comment: string; createdAt: string }[];
}

/** A request with what only the server needs (who asked, as a subject) next to what callers see. */
export interface StoredRequest {
  readonly request: DeploymentRequest;
  readonly projectId: string;
  readonly environmentId: string;
  readonly requestedBySubject: string;
  readonly reviewerSubjects: readonly string[];
}

const toStored = (r: RequestRow & { projectId: string }): StoredRequest => ({
  projectId: r.projectId,
  environmentId: r.environmentId,
  requestedBySubject: r.requestedBySubject,
  reviewerSubjects: r.reviews.map((v) => v.reviewerSubject),
  request: {
    id: r.id,
    project: r.project,
    environment: r.environment,
    kind: r.kind,
    release: { id: r.releaseId, label: r.releaseLabel, contentHash: r.releaseHash },
    comment: r.comment,
    source: r.source,
    requestedBy: r.requestedBy,
    requiredApprovals: r.requiredApprovals,
    approvals: r.reviews.filter((v) => v.verdict === 'approve').length,
    approverRole: r.approverRole,
    approverGroup: r.approverGroup,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    closedAt: r.closedAt?.toISOString() ?? null,
    closedBy: r.closedBy,
    deploymentId: r.deploymentId,
    reviews: r.reviews.map(({ reviewer, verdict, comment, createdAt }) => ({ reviewer, verdict, comment, createdAt: new Date(createdAt).toISOString() })),
  },
});

// A pending request past its expiry reads as expired even before anything records it: expiry
// needs no background job, and the first write that touches the request records it.
const select = (q: Queryable) => q`
  SELECT dr.id, dr.project_id, p.key AS project, e.key AS environment, dr.environment_id, dr.kind,
         dr.release_id, r.label AS release_label, r.content_hash AS release_hash, dr.comment, dr.source,
         dr.requested_by, dr.requested_by_subject, dr.required_approvals, dr.approver_role, dr.approver_group,
         CASE WHEN dr.status = 'pending' AND dr.expires_at <= now() THEN 'expired' ELSE dr.status END AS status,
         dr.created_at, dr.expires_at, dr.closed_at, dr.closed_by, dr.deployment_id,
         COALESCE((SELECT json_agg(json_build_object('reviewer', v.reviewer, 'reviewerSubject', v.reviewer_subject,
                     'verdict', v.verdict, 'comment', v.comment, 'createdAt', v.created_at) ORDER BY v.created_at)
                   FROM deployment_request_reviews v WHERE v.request_id = dr.id), '[]') AS reviews
  FROM deployment_requests dr
  JOIN projects p ON p.id = dr.project_id
  JOIN environments e ON e.id = dr.environment_id
  JOIN releases r ON r.id = dr.release_id`;

export async function insertRequest(
  q: Queryable,
  r: {
    projectId: string;
    environmentId: string;
    kind: DeploymentRequest['kind'];
    releaseId: string;
    comment: string;
    source: DeploymentRequest['source'];
    requestedBy: string;
    requestedBySubject: string;
    requiredApprovals: number;
    approverRole: string | null;
    approverGroup: string | null;
    ttlSeconds: number;
  },
): Promise<number> {
  const [row] = await q<{ id: number }[]>`
    INSERT INTO deployment_requests (project_id, environment_id, kind, release_id, comment, source, requested_by, requested_by_subject,
                                     required_approvals, approver_role, approver_group, expires_at)
    VALUES (${r.projectId}, ${r.environmentId}, ${r.kind}, ${r.releaseId}, ${r.comment}, ${r.source}, ${r.requestedBy}, ${r.requestedBySubject},
            ${r.requiredApprovals}, ${r.approverRole}, ${r.approverGroup}, now() + make_interval(secs => ${r.ttlSeconds}))
    RETURNING id`;
  return row!.id;
}

export async function findRequest(q: Queryable, projectId: string, id: number): Promise<StoredRequest | undefined> {
  const [row] = await q<(RequestRow & { projectId: string })[]>`${select(q)} WHERE dr.project_id = ${projectId} AND dr.id = ${id}`;
  return row && toStored(row);
}

/** Locks the request row for the rest of the transaction (reviews of one request are serialised). */
export async function lockRequest(q: Queryable, projectId: string, id: number): Promise<StoredRequest | undefined> {
  const locked = await q`SELECT id FROM deployment_requests WHERE project_id = ${projectId} AND id = ${id} FOR UPDATE`;
  return locked.length === 0 ? undefined : findRequest(q, projectId, id);
}

/** A pending, unexpired request for the same change, so asking twice does not make two. */
export async function findPendingTwin(
  q: Queryable,
  r: { projectId: string; environmentId: string; kind: DeploymentRequest['kind']; releaseId: string },
): Promise<StoredRequest | undefined> {
  const [row] = await q<(RequestRow & { projectId: string })[]>`
    ${select(q)}
    WHERE dr.project_id = ${r.projectId} AND dr.environment_id = ${r.environmentId} AND dr.kind = ${r.kind}
      AND dr.release_id = ${r.releaseId} AND dr.status = 'pending' AND dr.expires_at > now()
    ORDER BY dr.id DESC LIMIT 1`;
  return row && toStored(row);
}

export async function listRequests(
  q: Queryable,
  projectId: string,
  filter: { status: RequestStatus | 'all'; environmentId?: string | undefined; limit: number },
): Promise<StoredRequest[]> {
  const status = filter.status;
  const rows = await q<(RequestRow & { projectId: string })[]>`
    SELECT * FROM (${select(q)} WHERE dr.project_id = ${projectId}
      ${filter.environmentId === undefined ? q`` : q`AND dr.environment_id = ${filter.environmentId}`}) s
    ${status === 'all' ? q`` : q`WHERE s.status = ${status}`}
    ORDER BY s.id DESC LIMIT ${filter.limit}`;
  return rows.map(toStored);
}

export async function insertReview(
  q: Queryable,
  v: { requestId: number; reviewer: string; reviewerSubject: string; verdict: 'approve' | 'reject'; comment: string },
): Promise<void> {
  await q`
    INSERT INTO deployment_request_reviews (request_id, reviewer, reviewer_subject, verdict, comment)
    VALUES (${v.requestId}, ${v.reviewer}, ${v.reviewerSubject}, ${v.verdict}, ${v.comment})`;
}

export async function closeRequest(
  q: Queryable,
  id: number,
  outcome: { status: Exclude<RequestStatus, 'pending'>; by: string; deploymentId?: number },
): Promise<void> {
  await q`
    UPDATE deployment_requests SET status = ${outcome.status}, closed_at = now(), closed_by = ${outcome.by},
      deployment_id = ${outcome.deploymentId ?? null}
    WHERE id = ${id} AND status = 'pending'`;
}
