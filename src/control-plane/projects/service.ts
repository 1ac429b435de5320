import type { Queryable } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { isUniqueViolation } from '../../lib/pg-errors.js';
import { conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { CreateProject, Project } from './schemas.js';
import { findProject, insertProject, listProjects, lockProject } from './store.js';

export class ProjectsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: CreateProject, idempotency?: IdempotencyContext): Promise<Project> {
    try {
      return await this.db.transaction(async (tx) => {
        const project = await insertProject(tx, { key: input.key, name: input.name ?? input.key, createdBy: actor.name });
        await this.audit.record(tx, actor, { action: 'project.create', targetType: 'project', target: project.key, projectKey: project.key });
        return project;
      }, { idempotency });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`project '${input.key}' already exists`);
      throw error;
    }
  }

  list(): Promise<Project[]> {
    return listProjects(this.db.read);
  }

  /** The project, or a 404 naming it. `q` lets other features look it up inside their transaction. */
  async get(key: string, q: Queryable = this.db.read): Promise<Project> {
    const project = await findProject(q, key);
    if (!project) throw notFound(`project '${key}' does not exist`);
    return project;
  }

  lock(q: Queryable, project: Project): Promise<void> {
    return lockProject(q, project.id);
  }
}
