import type { Database } from '../../db/database.js';
import type { Actor } from '../../lib/actor.js';
import { conflict } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { ChangesService } from '../changes/service.js';
import type { EnvironmentsService } from '../environments/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { ReleasesService } from '../releases/service.js';
import type { Deployment, DeployResult } from './schemas.js';
import { findDeployment, insertDeployment, listDeployments } from './store.js';

export class DeploymentsService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly environments: EnvironmentsService,
    private readonly releases: ReleasesService,
    private readonly changes: ChangesService,
    private readonly audit: AuditService,
  ) {}

  /** Points an environment at a release. Deploying what is already deployed changes nothing. */
  deploy(actor: Actor, projectKey: string, envKey: string, releaseRef: string): Promise<DeployResult> {
    return this.#deploy(actor, projectKey, envKey, 'deploy', () => Promise.resolve(releaseRef));
  }

  /**
   * Rollback is a deployment of an earlier release: by default the one served before the current
   * deployment (as `helm rollback`); history only grows.
   */
  rollback(actor: Actor, projectKey: string, envKey: string, releaseRef?: string): Promise<DeployResult> {
    return this.#deploy(actor, projectKey, envKey, 'rollback', async (current) => {
      if (releaseRef) return releaseRef;
      if (!current) throw conflict(`nothing is deployed to '${envKey}' yet; there is nothing to roll back`);
      if (!current.previousRelease) throw conflict(`'${envKey}' has had only one release (${current.release.label}); there is no earlier release to roll back to`);
      return current.previousRelease.id;
    });
  }

  async history(projectKey: string, envKey: string, limit: number): Promise<Deployment[]> {
    const environment = await this.environments.get(projectKey, envKey);
    return listDeployments(this.db.sql, environment.id, limit);
  }

  async #deploy(
    actor: Actor,
    projectKey: string,
    envKey: string,
    kind: Deployment['kind'],
    target: (current: Deployment | undefined) => Promise<string>,
  ): Promise<DeployResult> {
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const environment = await this.environments.lock(tx, project, envKey);
      const current = environment.current ? await findDeployment(tx, environment.current.deploymentId) : undefined;
      const release = await this.releases.resolve(tx, project, await target(current));
      if (current && current.release.id === release.id) return { ...current, unchanged: true };
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
        projectKey,
        beforeHash: current?.release.contentHash ?? null,
        afterHash: release.contentHash,
        details: { deploymentId: deployment.id, release: release.label, releaseId: release.id, previousRelease: current?.release.label ?? null },
      });
      return { ...deployment, unchanged: false };
    });
  }
}
