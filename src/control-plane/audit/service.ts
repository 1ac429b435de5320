import type { Database } from '../../db/database.js';
import type { Queryable } from '../../db/connect.js';
import type { Actor } from '../../lib/actor.js';
import type { AuditAction, AuditEntry, AuditQuery } from './schemas.js';
import { insertAuditEntry, queryAuditLog } from './store.js';
import { auditCsv } from './csv.js';

export interface AuditEvent {
  readonly action: AuditAction;
  readonly targetType: string;
  readonly target: string;
  readonly projectKey?: string | null;
  readonly beforeHash?: string | null;
  readonly afterHash?: string | null;
  readonly details?: Record<string, unknown>;
}

export class AuditService {
  constructor(private readonly db: Database) {}

  /** Appends to the audit log inside the caller's transaction, so the entry exists iff the change does. */
  record(tx: Queryable, actor: Actor, event: AuditEvent): Promise<void> {
    return insertAuditEntry(tx, {
      ...event,
      actor: actor.name,
      actorTokenId: actor.tokenId,
      requestId: actor.requestId,
      ip: actor.ip,
    });
  }

  async query(filter: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: number | null }> {
    const entries = await queryAuditLog(this.db.read, filter);
    const last = entries.at(-1);
    return { entries, nextCursor: entries.length === filter.limit && last ? last.id : null };
  }

  /** The filtered entries as CSV (at most `limit` rows), and where the next ones begin, if any. */
  async csv(filter: AuditQuery): Promise<{ csv: string; rows: number; nextCursor: number | null }> {
    const { entries, nextCursor } = await this.query(filter);
    return { csv: auditCsv(entries), rows: entries.length, nextCursor };
  }
}
