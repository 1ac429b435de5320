import type { Queryable } from '../../db/connect.js';
import type { AuditAction, AuditEntry, AuditQuery } from './schemas.js';

export interface NewAuditEntry {
  readonly actor: string;
  readonly actorTokenId: string | null;
  readonly action: AuditAction;
  readonly targetType: string;
  readonly target: string;
  readonly projectKey?: string | null;
  readonly beforeHash?: string | null;
  readonly afterHash?: string | null;
  readonly requestId: string | null;
  readonly ip: string | null;
  readonly details?: Record<string, unknown>;
}

export async function insertAuditEntry(q: Queryable, e: NewAuditEntry): Promise<void> {
  await q`
    INSERT INTO audit_log (actor, actor_token_id, action, target_type, target, project_key, before_hash, after_hash, request_id, ip, details)
    VALUES (${e.actor}, ${e.actorTokenId}, ${e.action}, ${e.targetType}, ${e.target}, ${e.projectKey ?? null},
            ${e.beforeHash ?? null}, ${e.afterHash ?? null}, ${e.requestId}, ${e.ip}, ${q.json((e.details ?? {}) as never)})`;
}

interface AuditRow extends Omit<AuditEntry, 'at'> {
  at: Date;
}

export async function queryAuditLog(q: Queryable, f: AuditQuery): Promise<AuditEntry[]> {
  const action = f.action?.endsWith('.*')
    ? q`AND action LIKE ${f.action.slice(0, -1).replace(/[%_\\]/g, '\\$&') + '%'}`
    : f.action
      ? q`AND action = ${f.action}`
      : q``;
  const rows = await q<AuditRow[]>`
    SELECT id, at, actor, actor_token_id, action, target_type, target, project_key, before_hash, after_hash, request_id, ip, details
    FROM audit_log
    WHERE true
      ${f.actor ? q`AND actor = ${f.actor}` : q``}
      ${action}
      ${f.project ? q`AND project_key = ${f.project}` : q``}
      ${f.target ? q`AND target = ${f.target}` : q``}
      ${f.since ? q`AND at >= ${f.since}` : q``}
      ${f.until ? q`AND at < ${f.until}` : q``}
      ${f.before ? q`AND id < ${f.before}` : q``}
    ORDER BY id DESC
    LIMIT ${f.limit}`;
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
