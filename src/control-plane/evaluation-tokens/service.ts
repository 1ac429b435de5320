import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { newSecret } from '../../lib/secrets.js';
import { conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { ChangesService } from '../changes/service.js';
import type { EnvironmentsService } from '../environments/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { EvaluationToken, NewEvaluationToken } from './schemas.js';
import type { Queryable } from '../../db/connect.js';
import { activeTokenHashes, findEvaluationToken, insertEvaluationToken, listEvaluationTokens, revokeEvaluationToken, touchTokens } from './store.js';

/**
 * Tokens that authorise evaluation in one environment (`X-Access-Token`). Only their SHA-256 is
 * stored. Creating or revoking one bumps the change counter so every node reloads its token set.
 */
export class EvaluationTokensService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly environments: EnvironmentsService,
    private readonly changes: ChangesService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, projectKey: string, envKey: string, name?: string): Promise<NewEvaluationToken> {
    const secret = newSecret('eval');
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const environment = await this.environments.require(tx, project, envKey);
      const token = await insertEvaluationToken(tx, {
        environmentId: environment.id,
        name: name ?? `${envKey} token`,
        hash: secret.hash,
        prefix: secret.prefix,
        createdBy: actor.name,
      });
      await this.changes.bump(tx, 'evaluation-token', project.id, environment.id);
      await this.audit.record(tx, actor, {
        action: 'evaluation-token.create',
        targetType: 'evaluation-token',
        target: token.id,
        projectKey,
        details: { environment: envKey, name: token.name, prefix: token.prefix },
      });
      return { ...token, token: secret.token };
    });
  }

  async list(projectKey: string, envKey: string): Promise<EvaluationToken[]> {
    const environment = await this.environments.get(projectKey, envKey);
    return listEvaluationTokens(this.db.read, environment.id);
  }

  async revoke(actor: Actor, projectKey: string, envKey: string, id: string, idempotency?: IdempotencyContext): Promise<EvaluationToken> {
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const environment = await this.environments.require(tx, project, envKey);
      const token = await findEvaluationToken(tx, environment.id, id);
      if (!token) throw notFound(`environment '${envKey}' has no evaluation token ${id}`);
      if (!(await revokeEvaluationToken(tx, id, actor.name))) throw conflict(`evaluation token ${id} was already revoked`);
      await this.changes.bump(tx, 'evaluation-token', project.id, environment.id);
      await this.audit.record(tx, actor, {
        action: 'evaluation-token.revoke',
        targetType: 'evaluation-token',
        target: id,
        projectKey,
        details: { environment: envKey, name: token.name, prefix: token.prefix },
      });
      return (await findEvaluationToken(tx, environment.id, id))!;
    }, { idempotency });
  }

  /** Hashes of every unrevoked token and its environment (what evaluating nodes check against). */
  active(q: Queryable = this.db.read): Promise<{ tokenHash: string; environmentId: string }[]> {
    return activeTokenHashes(q);
  }

  /** Records use reported by evaluating nodes, batched; best effort. */
  async touch(hashes: readonly string[], at: Date): Promise<void> {
    if (hashes.length > 0) await this.db.transaction((tx) => touchTokens(tx, hashes, at), { idempotent: true });
  }
}
