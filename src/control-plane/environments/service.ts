import type { Queryable } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { isUniqueViolation } from '../../lib/pg-errors.js';
import { conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { ChangesService } from '../changes/service.js';
import type { Project } from '../projects/schemas.js';
import type { ProjectsService } from '../projects/service.js';
import type { CreateEnvironment, Environment, Protection, UpdateEnvironment } from './schemas.js';
import { findEnvironment, insertEnvironment, listEnvironments, lockEnvironment, updateEnvironment } from './store.js';

const DEFAULT_PROTECTION: Protection = Object.freeze({ requiredApprovals: 0, approverRole: null, approverGroup: null, requestTtlSeconds: 7 * 24 * 3600 });

/** The protection an input asks for: fields it leaves out keep their current (or default) value. */
function protectionOf(input: Partial<Protection>, current: Protection): Protection {
  return {
    requiredApprovals: input.requiredApprovals ?? current.requiredApprovals,
    approverRole: input.approverRole === undefined ? current.approverRole : input.approverRole,
    approverGroup: input.approverGroup === undefined ? current.approverGroup : input.approverGroup,
    requestTtlSeconds: input.requestTtlSeconds ?? current.requestTtlSeconds,
  };
}
import { environmentCatalog } from '../serving/catalog.js';
import type { CatalogEntry } from '../../data-plane/sync/serving-source.js';

export class EnvironmentsService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly changes: ChangesService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, projectKey: string, input: CreateEnvironment, idempotency?: IdempotencyContext): Promise<Environment> {
    try {
      return await this.db.transaction(async (tx) => {
        const project = await this.projects.get(projectKey, tx);
        const protection = protectionOf(input, DEFAULT_PROTECTION);
        const id = await insertEnvironment(tx, { projectId: project.id, key: input.key, name: input.name ?? input.key, createdBy: actor.name, protection });
        await this.changes.bump(tx, 'environment', project.id, id);
        await this.audit.record(tx, actor, { action: 'environment.create', targetType: 'environment', target: input.key, projectKey, details: { protection } });
        return (await findEnvironment(tx, project.id, input.key))!;
      }, { idempotency });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`project '${projectKey}' already has an environment '${input.key}'`);
      throw error;
    }
  }

  /** Renames an environment or changes what its deployments need (approvals, approvers, request lifetime). */
  async update(actor: Actor, projectKey: string, envKey: string, input: UpdateEnvironment, idempotency?: IdempotencyContext): Promise<Environment> {
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const before = await this.lock(tx, project, envKey);
      const protection = protectionOf(input, before.protection);
      await updateEnvironment(tx, before.id, { name: input.name ?? before.name, protection });
      await this.audit.record(tx, actor, {
        action: 'environment.update',
        targetType: 'environment',
        target: envKey,
        projectKey,
        details: { before: { name: before.name, protection: before.protection }, after: { name: input.name ?? before.name, protection } },
      });
      return (await findEnvironment(tx, project.id, envKey))!;
    }, { idempotency });
  }

  async list(projectKey: string): Promise<Environment[]> {
    const project = await this.projects.get(projectKey);
    return listEnvironments(this.db.read, project.id);
  }

  async get(projectKey: string, envKey: string): Promise<Environment> {
    const project = await this.projects.get(projectKey);
    return this.require(this.db.read, project, envKey);
  }

  async require(q: Queryable, project: Project, envKey: string): Promise<Environment> {
    const environment = await findEnvironment(q, project.id, envKey);
    if (!environment) throw notFound(`project '${project.key}' has no environment '${envKey}'`);
    return environment;
  }

  /** Locks the environment for the rest of the transaction and returns its current state. */
  async lock(q: Queryable, project: Project, envKey: string): Promise<Environment> {
    const environment = await lockEnvironment(q, project.id, envKey);
    if (!environment) throw notFound(`project '${project.key}' has no environment '${envKey}'`);
    return environment;
  }

  /** Every environment of every project with its current release (read by evaluating nodes). */
  catalog(q: Queryable = this.db.read): Promise<CatalogEntry[]> {
    return environmentCatalog(q);
  }
}
