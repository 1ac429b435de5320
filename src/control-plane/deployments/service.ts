import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { conflict } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { ChangesService } from '../changes/service.js';
import type { EnvironmentsService } from '../environments/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { Project } from '../projects/schemas.js';
import type { ReleasesService } from '../releases/service.js';
import type { WebhookEmitter } from '../webhooks/events.js';
import type { Deployment, DeployResult } from './schemas.js';
import type { TransactionSql } from '../../db/connect.js';
import { deploymentTrail, findDeployment, insertDeployment, listDeployments } from './store.js';
import type { Environment } from '../environments/schemas.js';
import type { Release } from '../releases/schemas.js';
import type { DeploymentRequest } from '../deployment-requests/schemas.js';

/** A deploy either happened (or was already there), or waits for approval on a protected environment. */
export type DeployOutcome =
  | { readonly kind: 'deployed'; readonly result: DeployResult }
  | { readonly kind: 'requested'; readonly request: DeploymentRequest };

export interface DeployOptions {
  /** Why, for the approvers (protected environments). */
  readonly comment?: string | undefined;
  /** Where the deploy comes from: a package apply may skip review with 'deploy-unreviewed'. */
  readonly source?: DeploymentRequest['source'];
  /** The request whose final approval performs this deploy: the gate is passed. */
  readonly approvedRequest?: { readonly id: number; readonly requestedBy: string; readonly approvers: readonly string[] };
}

/**
 * Creates (or finds) the request a deployment to a protected environment waits on, inside the
 * deploy's transaction with the environment locked. Wired by a closure: the requests feature
 * deploys through this service once approved.
 */
export type ApprovalGate = (
  tx: TransactionSql,
  actor: Actor,
  project: Project,
  environment: Environment,
  change: { kind: Deployment['kind']; release: Release; comment: string; source: DeploymentRequest['source'] },
) => Promise<DeploymentRequest>;

export class DeploymentsService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly environments: EnvironmentsService,
    private readonly releases: ReleasesService,
    private readonly changes: ChangesService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEmitter,
    private readonly gate: ApprovalGate,
  ) {}

  /**
   * Points an environment at a release. Deploying what is already deployed changes nothing. On a
   * protected environment the answer is a deployment request that approvals complete.
   */
  deploy(actor: Actor, projectKey: string, envKey: string, releaseRef: string, options: DeployOptions = {}, idempotency?: IdempotencyContext): Promise<DeployOutcome> {
    return this.#deploy(actor, projectKey, envKey, 'deploy', () => Promise.resolve(releaseRef), options, idempotency);
  }

  /**
   * Rollback is a deployment of an earlier release. By default it undoes the last deployment that
   * is not itself undone: rolling back twice after deploying v2, v3, v4 serves v3 and then v2,
   * never v4 again. History only grows.
   */
  rollback(
    actor: Actor,
    projectKey: string,
    envKey: string,
    releaseRef?: string,
    options: DeployOptions = {},
    idempotency?: IdempotencyContext,
  ): Promise<DeployOutcome> {
    return this.#deploy(actor, projectKey, envKey, 'rollback', async (current, tx, environmentId) => {
      if (releaseRef) return releaseRef;
      if (!current) throw conflict(`nothing is deployed to '${envKey}' yet; there is nothing to roll back`);
      const target = rollbackTarget(await deploymentTrail(tx, environmentId));
      if (!target) throw conflict(`'${envKey}' has no earlier release to roll back to (it serves ${current.release.label})`);
      return target;
    }, options, idempotency);
  }

  async history(projectKey: string, envKey: string, limit: number): Promise<Deployment[]> {
    const environment = await this.environments.get(projectKey, envKey);
    return listDeployments(this.db.read, environment.id, limit);
  }

  async #deploy(
    actor: Actor,
    projectKey: string,
    envKey: string,
    kind: Deployment['kind'],
    target: (current: Deployment | undefined, tx: TransactionSql, environmentId: string) => Promise<string>,
    options: DeployOptions,
    idempotency: IdempotencyContext | undefined,
  ): Promise<DeployOutcome> {
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      return this.deployInTransaction(tx, actor, project, envKey, kind, target, { source: 'api', ...options });
    }, { idempotency });
  }

  /** Points an environment at a release inside the caller's transaction (release packages deploy with their apply). */
  async deployInTransaction(
    tx: TransactionSql,
    actor: Actor,
    project: Project,
    envKey: string,
    kind: Deployment['kind'],
    target: (current: Deployment | undefined, tx: TransactionSql, environmentId: string) => Promise<string>,
    options: DeployOptions = {},
  ): Promise<DeployOutcome> {
    const environment = await this.environments.lock(tx, project, envKey);
    const current = environment.current ? await findDeployment(tx, environment.current.deploymentId) : undefined;
    const release = await this.releases.resolve(tx, project, await target(current, tx, environment.id));
    if (current && current.release.id === release.id) return { kind: 'deployed', result: { ...current, unchanged: true } };
    const source = options.source ?? 'api';
    const required = environment.protection.requiredApprovals;
    // A pipeline's token may carry 'deploy-unreviewed' for package applies; the audit entry says it was used.
    const unreviewed = required > 0 && !options.approvedRequest && source === 'package' && actor.extraPermissions.includes('deploy-unreviewed');
    if (required > 0 && !options.approvedRequest && !unreviewed) {
      return { kind: 'requested', request: await this.gate(tx, actor, project, environment, { kind, release, comment: options.comment ?? '', source }) };
    }
    const changeSeq = await this.changes.bump(tx, 'deployment', project.id, environment.id);
    const deployment = await insertDeployment(tx, {
      projectId: project.id,
      environmentId: environment.id,
      releaseId: release.id,
      previousReleaseId: current?.release.id ?? null,
      kind,
      changeSeq,
      deployedBy: actor.name,
    });
    await this.audit.record(tx, actor, {
      action: kind === 'deploy' ? 'deployment.deploy' : 'deployment.rollback',
      targetType: 'environment',
      target: envKey,
      projectKey: project.key,
      beforeHash: current?.release.contentHash ?? null,
      afterHash: release.contentHash,
      details: {
        deploymentId: deployment.id,
        release: release.label,
        releaseId: release.id,
        previousRelease: current?.release.label ?? null,
        ...(options.approvedRequest
          ? { requestId: options.approvedRequest.id, requestedBy: options.approvedRequest.requestedBy, approvedBy: options.approvedRequest.approvers }
          : {}),
        ...(unreviewed ? { unreviewed: true, permission: 'deploy-unreviewed', requiredApprovals: required } : {}),
      },
    });
    await this.webhooks.emit(tx, {
      type: kind === 'deploy' ? 'deployment.done' : 'deployment.rollback',
      project,
      data: {
        deploymentId: deployment.id,
        environment: envKey,
        release: { id: release.id, label: release.label, contentHash: release.contentHash },
        previousRelease: deployment.previousRelease,
        deployedBy: actor.name,
        ...(options.approvedRequest ? { requestId: options.approvedRequest.id } : {}),
      },
    });
    return { kind: 'deployed', result: { ...deployment, unchanged: false } };
  }
}

/**
 * Replays an environment's deployments as a stack: a deploy pushes its release, a rollback that
 * went back to the release below the top pops. The rollback target is then the release below the
 * top. (A rollback to a named release does not match that pattern and so counts as a push.)
 */
export function rollbackTarget(trail: readonly { kind: Deployment['kind']; releaseId: string }[]): string | undefined {
  const stack: string[] = [];
  for (const step of trail) {
    if (step.kind === 'rollback' && stack.length >= 2 && stack[stack.length - 2] === step.releaseId) stack.pop();
    else if (stack.at(-1) !== step.releaseId) stack.push(step.releaseId);
  }
  return stack.at(-2);
}
