import type { Queryable } from '../../db/connect.js';
import type { Role } from '../../lib/actor.js';

/** A signed-in single-sign-on user's session, as stored (the secret itself never is). */
export interface ConsoleSession {
  readonly id: string;
  readonly subject: string;
  readonly issuer: string;
  readonly name: string;
  readonly role: Role;
  readonly groups: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastSeenAt: Date;
  readonly revokedAt: Date | null;
}

export interface NewConsoleSession {
  readonly secretHash: string;
  readonly subject: string;
  readonly issuer: string;
  readonly name: string;
  readonly role: Role;
  readonly groups: readonly string[];
  readonly ttlSeconds: number;
}

const COLUMNS = ['id', 'subject', 'issuer', 'name', 'role', 'groups', 'created_at', 'expires_at', 'last_seen_at', 'revoked_at'];

export async function insertConsoleSession(q: Queryable, s: NewConsoleSession): Promise<ConsoleSession> {
  const [row] = await q<ConsoleSession[]>`
    INSERT INTO console_sessions (secret_hash, subject, issuer, name, role, groups, expires_at)
    VALUES (${s.secretHash}, ${s.subject}, ${s.issuer}, ${s.name}, ${s.role}, ${s.groups as string[]}, now() + make_interval(secs => ${s.ttlSeconds}))
    RETURNING ${q(COLUMNS)}`;
  return row!;
}

/**
 * The session a secret belongs to, if it is still usable: not revoked and not expired (by the
 * database's clock, the one every node shares), else undefined.
 */
export async function findActiveConsoleSession(q: Queryable, secretHash: string): Promise<ConsoleSession | undefined> {
  const [row] = await q<ConsoleSession[]>`
    SELECT ${q(COLUMNS)} FROM console_sessions
    WHERE secret_hash = ${secretHash} AND revoked_at IS NULL AND expires_at > now()`;
  return row;
}

/** Whether a row exists for the secret at all (to tell "not replicated yet" from "over"). */
export async function consoleSessionExists(q: Queryable, secretHash: string): Promise<boolean> {
  const rows = await q`SELECT 1 FROM console_sessions WHERE secret_hash = ${secretHash}`;
  return rows.length > 0;
}

/** Revokes an active session; false when it was already revoked. */
export async function revokeConsoleSession(q: Queryable, id: string): Promise<boolean> {
  const rows = await q`UPDATE console_sessions SET revoked_at = now() WHERE id = ${id} AND revoked_at IS NULL RETURNING id`;
  return rows.length === 1;
}

/** Best effort, at most once a minute per session: a timestamp is not worth a write per request. */
export async function touchConsoleSession(q: Queryable, id: string): Promise<void> {
  await q`UPDATE console_sessions SET last_seen_at = now() WHERE id = ${id} AND last_seen_at < now() - interval '1 minute'`;
}

/**
 * Deletes a bounded batch of sessions that ended more than a week ago (expired or revoked), so
 * the table does not grow with every sign-in; the audit log keeps the history.
 */
export async function purgeEndedConsoleSessions(q: Queryable, batch = 100): Promise<number> {
  const rows = await q`
    DELETE FROM console_sessions WHERE id IN (
      SELECT id FROM console_sessions
      WHERE expires_at < now() - interval '7 days' OR revoked_at < now() - interval '7 days'
      LIMIT ${batch})
    RETURNING id`;
  return rows.length;
}
