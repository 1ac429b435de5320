import type { TransactionSql } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { AppError, conflict, notFound } from '../../errors.js';
import { allows } from '../api-tokens/roles.js';
import type { AuditService } from '../audit/service.js';
import type { ApprovalGate, DeploymentsService } from '../deployments/service.js';
import type { EnvironmentsService } from '../environments/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { DeploymentRequest, RequestListQuery, ReviewBody } from './schemas.js';
import type { WebhookEmitter } from '../webhooks/events.js';
import { closeRequest, findPendingTwin, findRequest, insertRequest, insertReview, listRequests, lockRequest, type StoredRequest } from './store.js';

/**
 * Deployment requests: the four-eyes gate of protected environments. A deploy or rollback to an
 * environment that needs approvals records a request instead; people other than the requester
 * approve or reject it, and the approval that reaches the quorum deploys, in its own transaction.
 */
export class DeploymentRequestsService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly environments: EnvironmentsService,
    private readonly deployments: () => DeploymentsService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEmitter,
  ) {}

  /** The gate DeploymentsService calls, with the environment locked. Asking twice returns the pending request. */
  readonly gate: ApprovalGate = async (tx, actor, project, environment, change) => {
    const twin = await findPendingTwin(tx, { projectId: project.id, environmentId: environment.id, kind: change.kind, releaseId: change.release.id });
    if (twin) return twin.request;
    const p = environment.protection;
    const id = await insertRequest(tx, {
      projectId: project.id,
      environmentId: environment.id,
      kind: change.kind,
      releaseId: change.release.id,
      comment: change.comment,
      source: change.source,
      requestedBy: actor.name,
      requestedBySubject: actor.subject,
      requiredApprovals: p.requiredApprovals,
      approverRole: p.approverRole,
      approverGroup: p.approverGroup,
      ttlSeconds: p.requestTtlSeconds,
    });
    await this.audit.record(tx, actor, {
      action: 'deployment.request',
      targetType: 'environment',
      target: environment.key,
      projectKey: project.key,
      afterHash: change.release.contentHash,
      details: { requestId: id, kind: change.kind, release: change.release.label, releaseId: change.release.id, requiredApprovals: p.requiredApprovals, source: change.source },
    });
    await this.webhooks.emit(tx, {
      type: 'deployment.requested',
      project,
      data: {
        requestId: id,
        environment: environment.key,
        kind: change.kind,
        release: { id: change.release.id, label: change.release.label },
        requestedBy: actor.name,
        requiredApprovals: p.requiredApprovals,
        ...(change.comment ? { comment: change.comment } : {}),
      },
    });
    return (await findRequest(tx, project.id, id))!.request;
  };

  async list(projectKey: string, query: RequestListQuery): Promise<DeploymentRequest[]> {
    const project = await this.projects.get(projectKey);
    const environmentId = query.environment === undefined ? undefined : (await this.environments.require(this.db.read, project, query.environment)).id;
    return (await listRequests(this.db.read, project.id, { status: query.status, environmentId, limit: query.limit })).map((r) => r.request);
  }

  async get(projectKey: string, id: number): Promise<DeploymentRequest> {
    const project = await this.projects.get(projectKey);
    const found = await findRequest(this.db.read, project.id, id);
    if (!found) throw notFound(`project '${projectKey}' has no deployment request ${id}`);
    return found.request;
  }

  /** Approves; the approval that reaches the required number deploys the release in this transaction. */
  approve(actor: Actor, projectKey: string, id: number, body: ReviewBody, idempotency?: IdempotencyContext): Promise<DeploymentRequest> {
    return this.#decide(actor, projectKey, id, idempotency, async (tx, stored) => {
      refuseIneligible(actor, stored, 'approve');
      await insertReview(tx, { requestId: id, reviewer: actor.name, reviewerSubject: actor.subject, verdict: 'approve', comment: body.comment ?? '' });
      const request = stored.request;
      const approvals = request.approvals + 1;
      await this.audit.record(tx, actor, {
        action: 'deployment.approve',
        targetType: 'environment',
        target: request.environment,
        projectKey,
        details: { requestId: id, release: request.release.label, approvals, requiredApprovals: request.requiredApprovals, comment: body.comment ?? '' },
      });
      if (approvals < request.requiredApprovals) return;
      const approvers = [...request.reviews.filter((v) => v.verdict === 'approve').map((v) => v.reviewer), actor.name];
      const project = await this.projects.get(projectKey, tx);
      // Approved first, then the deployment.done its deploy emits: receivers see them in that order.
      await this.webhooks.emit(tx, {
        type: 'deployment.approved',
        project,
        data: {
          requestId: id,
          environment: request.environment,
          kind: request.kind,
          release: { id: request.release.id, label: request.release.label },
          approvedBy: approvers,
          approvals,
          requiredApprovals: request.requiredApprovals,
        },
      });
      const outcome = await this.deployments().deployInTransaction(tx, actor, project, request.environment, request.kind, () => Promise.resolve(request.release.id), {
        source: request.source,
        approvedRequest: { id, requestedBy: request.requestedBy, approvers },
      });
      if (outcome.kind !== 'deployed') throw new Error(`request ${id}: an approved deployment was gated again`);
      await closeRequest(tx, id, { status: 'deployed', by: actor.name, deploymentId: outcome.result.id });
    });
  }

  /** One rejection closes the request: nothing is deployed. */
  reject(actor: Actor, projectKey: string, id: number, body: ReviewBody, idempotency?: IdempotencyContext): Promise<DeploymentRequest> {
    return this.#decide(actor, projectKey, id, idempotency, async (tx, stored) => {
      refuseIneligible(actor, stored, 'reject');
      await insertReview(tx, { requestId: id, reviewer: actor.name, reviewerSubject: actor.subject, verdict: 'reject', comment: body.comment ?? '' });
      await closeRequest(tx, id, { status: 'rejected', by: actor.name });
      await this.audit.record(tx, actor, {
        action: 'deployment.reject',
        targetType: 'environment',
        target: stored.request.environment,
        projectKey,
        details: { requestId: id, release: stored.request.release.label, comment: body.comment ?? '' },
      });
      await this.webhooks.emit(tx, {
        type: 'deployment.rejected',
        project: { id: stored.projectId, key: projectKey },
        data: {
          requestId: id,
          environment: stored.request.environment,
          kind: stored.request.kind,
          release: { id: stored.request.release.id, label: stored.request.release.label },
          rejectedBy: actor.name,
          ...(body.comment ? { comment: body.comment } : {}),
        },
      });
    });
  }

  /** The requester withdraws the request (or an admin clears it away). */
  cancel(actor: Actor, projectKey: string, id: number, idempotency?: IdempotencyContext): Promise<DeploymentRequest> {
    return this.#decide(actor, projectKey, id, idempotency, async (tx, stored) => {
      if (actor.subject !== stored.requestedBySubject && actor.role !== 'admin') {
        throw new AppError('forbidden', `only the requester (${stored.request.requestedBy}) or an admin may cancel deployment request ${id}`);
      }
      await closeRequest(tx, id, { status: 'cancelled', by: actor.name });
      await this.audit.record(tx, actor, {
        action: 'deployment.cancel',
        targetType: 'environment',
        target: stored.request.environment,
        projectKey,
        details: { requestId: id, release: stored.request.release.label },
      });
    });
  }

  /**
   * Runs a decision on a pending request with the request locked. A request found expired is
   * recorded as such (committed) and the caller gets 409.
   */
  async #decide(
    actor: Actor,
    projectKey: string,
    id: number,
    idempotency: IdempotencyContext | undefined,
    decide: (tx: TransactionSql, stored: StoredRequest) => Promise<void>,
  ): Promise<DeploymentRequest> {
    const outcome = await this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const stored = await lockRequest(tx, project.id, id);
      if (!stored) throw notFound(`project '${projectKey}' has no deployment request ${id}`);
      const status = stored.request.status;
      if (status === 'expired' && stored.request.closedAt === null) {
        await closeRequest(tx, id, { status: 'expired', by: 'system' });
        await this.audit.record(tx, actor, {
          action: 'deployment.expire',
          targetType: 'environment',
          target: stored.request.environment,
          projectKey,
          details: { requestId: id, release: stored.request.release.label, expiresAt: stored.request.expiresAt },
        });
        return { expired: stored.request.expiresAt } as const;
      }
      if (status !== 'pending') throw conflict(`deployment request ${id} is ${status}${stored.request.closedBy ? ` (by ${stored.request.closedBy})` : ''}; only pending requests can be decided`, { status });
      await decide(tx, stored);
      return { request: (await findRequest(tx, project.id, id))!.request } as const;
    }, { idempotency });
    if ('expired' in outcome) throw conflict(`deployment request ${id} expired at ${outcome.expired}; deploy again to make a new request`, { status: 'expired' });
    return outcome.request;
  }
}

/** Four eyes: never the requester, only people the environment's policy names, one verdict each. */
function refuseIneligible(actor: Actor, stored: StoredRequest, verdict: 'approve' | 'reject'): void {
  const request = stored.request;
  if (actor.subject === stored.requestedBySubject) {
    throw new AppError('forbidden', `you requested deployment ${request.id}; someone else must ${verdict} it${verdict === 'reject' ? ' (cancel it instead)' : ''}`);
  }
  if (!allows(actor.role, 'deploy')) throw new AppError('forbidden', `role '${actor.role}' may not review deployments`);
  if (request.approverRole !== null && actor.role !== 'admin' && actor.role !== request.approverRole) {
    throw new AppError('forbidden', `deployments to '${request.environment}' are reviewed by role '${request.approverRole}' (you are '${actor.role}')`);
  }
  if (request.approverGroup !== null && !actor.groups.includes(request.approverGroup)) {
    throw new AppError('forbidden', `deployments to '${request.environment}' are reviewed by members of group '${request.approverGroup}' (sign in with single sign-on)`);
  }
  if (stored.reviewerSubjects.includes(actor.subject)) throw conflict(`you have already reviewed deployment request ${request.id}`);
}
