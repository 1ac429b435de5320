import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import { SYSTEM_ACTOR, type Actor } from '../../lib/actor.js';
import { hashSecret, newSecret, displayPrefix } from '../../lib/secrets.js';
import { conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { ApiToken, CreateApiToken, NewApiToken, RotateApiToken } from './schemas.js';
import {
  CONFIGURED_ADMIN_NAME,
  findApiToken,
  findApiTokenByHash,
  findApiTokenBySecretHash,
  insertApiToken,
  rotateApiToken,
  listApiTokens,
  lockActiveAdmins,
  revokeApiToken,
  revokeConfiguredAdmins,
  touchApiToken,
} from './store.js';

export type BootstrapOutcome =
  | { readonly kind: 'generated'; readonly token: string }
  | { readonly kind: 'configured'; readonly revokedPrevious: number }
  | { readonly kind: 'existing' }
  | { readonly kind: 'configured-token-revoked' };

/** What a presented secret turned out to be. */
export type Authentication =
  | { readonly kind: 'valid'; readonly token: ApiToken }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'revoked'; readonly token: ApiToken }
  | { readonly kind: 'expired'; readonly token: ApiToken };

// Any constant: serialises bootstrap between nodes starting at the same time.
const BOOTSTRAP_LOCK = 7_140_512_002;

/** API tokens for people and pipelines (`Authorization: Bearer`), stored as SHA-256 only. */
export class ApiTokensService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly projects: ProjectsService,
  ) {}

  async create(actor: Actor, input: CreateApiToken): Promise<NewApiToken> {
    const secret = newSecret('api');
    return this.db.transaction(async (tx) => {
      const project = input.project === undefined ? null : await this.projects.get(input.project, tx);
      const token = await insertApiToken(tx, {
        name: input.name,
        role: input.role,
        hash: secret.hash,
        prefix: secret.prefix,
        createdBy: actor.name,
        expiresInDays: input.expiresInDays,
        projectId: project?.id ?? null,
        permissions: input.permissions ?? [],
      });
      await this.audit.record(tx, actor, {
        action: 'api-token.create',
        targetType: 'api-token',
        target: token.id,
        projectKey: token.project,
        details: { name: token.name, role: token.role, prefix: token.prefix, expiresAt: token.expiresAt, project: token.project, permissions: token.permissions },
      });
      return { ...token, token: secret.token };
    });
  }

  /** A new secret for the same token (same id, role, scope): shown once. */
  async rotate(actor: Actor, id: string, input: RotateApiToken): Promise<NewApiToken> {
    const secret = newSecret('api');
    return this.db.transaction(async (tx) => {
      const before = await findApiToken(tx, id);
      if (!before) throw notFound(`there is no API token ${id}`);
      if (!(await rotateApiToken(tx, id, { hash: secret.hash, prefix: secret.prefix, graceSeconds: input.graceSeconds, expiresInDays: input.expiresInDays }))) {
        throw conflict(`API token ${id} is revoked; create a new one instead`);
      }
      const token = (await findApiToken(tx, id))!;
      await this.audit.record(tx, actor, {
        action: 'api-token.rotate',
        targetType: 'api-token',
        target: id,
        projectKey: token.project,
        details: { name: token.name, previousPrefix: before.prefix, prefix: token.prefix, graceSeconds: input.graceSeconds, expiresAt: token.expiresAt },
      });
      return { ...token, token: secret.token };
    });
  }

  list(): Promise<ApiToken[]> {
    return listApiTokens(this.db.read);
  }

  async revoke(actor: Actor, id: string, idempotency?: IdempotencyContext): Promise<ApiToken> {
    return this.db.transaction(async (tx) => {
      const admins = await lockActiveAdmins(tx);
      const token = await findApiToken(tx, id);
      if (!token) throw notFound(`there is no API token ${id}`);
      if (token.role === 'admin' && admins.length === 1 && admins[0] === id) {
        throw conflict('this is the last active admin token; create another admin token before revoking it');
      }
      if (!(await revokeApiToken(tx, id, actor.name))) throw conflict(`API token ${id} was already revoked`);
      await this.audit.record(tx, actor, {
        action: 'api-token.revoke',
        targetType: 'api-token',
        target: id,
        details: { name: token.name, role: token.role, prefix: token.prefix },
      });
      return (await findApiToken(tx, id))!;
    }, { idempotency });
  }

  /** What a secret is: an active token, or why it is refused. */
  async authenticate(secret: string): Promise<Authentication> {
    const hash = hashSecret(secret);
    let found = await findApiTokenBySecretHash(this.db.read, hash);
    // A token created (or rotated) a moment ago may not have reached the replica yet: ask the
    // primary. (A revocation reaches the replica within VERDICT_MAX_READ_LAG_MS, past which reads use the primary.)
    const writer = this.db.writerIfAny;
    if (!found && writer && this.db.read !== writer) found = await findApiTokenBySecretHash(writer, hash).catch(() => undefined);
    if (!found) return { kind: 'unknown' };
    const { expired, ...token } = found;
    if (token.revokedAt) return { kind: 'revoked', token };
    if (expired) return { kind: 'expired', token };
    if (!token.lastUsedAt || Date.now() - Date.parse(token.lastUsedAt) > 60_000) {
      // Best effort: with the primary unreachable, reads still authenticate.
      this.db.transaction((tx) => touchApiToken(tx, token.id)).catch(() => undefined);
    }
    return { kind: 'valid', token };
  }

  /**
   * Makes sure someone can administer the server: registers VERDICT_ADMIN_TOKEN when configured,
   * otherwise generates an admin token when no active admin exists (returned to be printed once).
   */
  async bootstrap(configured: string | undefined): Promise<BootstrapOutcome> {
    return this.db.transaction(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
      if (configured !== undefined) {
        const existing = await findApiTokenByHash(tx, hashSecret(configured));
        if (existing) return existing.revokedAt ? { kind: 'configured-token-revoked' } : { kind: 'existing' };
        const token = await insertApiToken(tx, {
          name: CONFIGURED_ADMIN_NAME,
          role: 'admin',
          hash: hashSecret(configured),
          prefix: displayPrefix(configured),
          createdBy: SYSTEM_ACTOR.name,
        });
        // A new VERDICT_ADMIN_TOKEN replaces the old one: an admin secret that was rotated out must stop working.
        const revoked = await revokeConfiguredAdmins(tx, hashSecret(configured), SYSTEM_ACTOR.name);
        await this.audit.record(tx, SYSTEM_ACTOR, {
          action: 'api-token.bootstrap',
          targetType: 'api-token',
          target: token.id,
          details: { source: 'VERDICT_ADMIN_TOKEN', revokedPrevious: revoked },
        });
        return { kind: 'configured', revokedPrevious: revoked.length };
      }
      if ((await lockActiveAdmins(tx)).length > 0) return { kind: 'existing' };
      const secret = newSecret('api');
      const token = await insertApiToken(tx, { name: 'bootstrap admin', role: 'admin', hash: secret.hash, prefix: secret.prefix, createdBy: SYSTEM_ACTOR.name });
      await this.audit.record(tx, SYSTEM_ACTOR, { action: 'api-token.bootstrap', targetType: 'api-token', target: token.id, details: { source: 'generated' } });
      return { kind: 'generated', token: secret.token };
    });
  }
}
