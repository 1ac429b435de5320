import type { Queryable } from '../../db/connect.js';
import type { ExtraPermission } from '../../lib/actor.js';
import type { Role } from './roles.js';
import type { ApiToken } from './schemas.js';

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  project: string | null;
  permissions: ExtraPermission[];
  rotatedAt: Date | null;
  previousExpiresAt: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  name: r.name,
  role: r.role,
  prefix: r.prefix,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  revokedAt: iso(r.revokedAt),
  lastUsedAt: iso(r.lastUsedAt),
  expiresAt: iso(r.expiresAt),
  project: r.project,
  permissions: r.permissions,
  rotatedAt: iso(r.rotatedAt),
  // Only while it still works: a past grace period is nothing to show.
  previousSecretValidUntil: r.previousExpiresAt && r.previousExpiresAt.getTime() > Date.now() ? r.previousExpiresAt.toISOString() : null,
});

const columns = (q: Queryable) => q`
  t.id, t.name, t.role, t.prefix, t.created_by, t.created_at, t.revoked_at, t.last_used_at, t.expires_at,
  p.key AS project, t.permissions, t.rotated_at, t.previous_expires_at`;

const select = (q: Queryable) => q`SELECT ${columns(q)} FROM api_tokens t LEFT JOIN projects p ON p.id = t.project_id`;

export async function insertApiToken(
  q: Queryable,
  t: {
    name: string;
    role: Role;
    hash: string;
    prefix: string;
    createdBy: string;
    expiresInDays?: number | undefined;
    projectId?: string | null;
    permissions?: readonly ExtraPermission[];
  },
): Promise<ApiToken> {
  const [row] = await q<{ id: string }[]>`
    INSERT INTO api_tokens (name, role, token_hash, prefix, created_by, expires_at, project_id, permissions)
    VALUES (${t.name}, ${t.role}, ${t.hash}, ${t.prefix}, ${t.createdBy},
            ${t.expiresInDays === undefined ? null : q`now() + make_interval(days => ${t.expiresInDays})`},
            ${t.projectId ?? null}, ${q.array([...(t.permissions ?? [])])})
    RETURNING id`;
  return (await findApiToken(q, row!.id))!;
}

export async function findApiToken(q: Queryable, id: string): Promise<ApiToken | undefined> {
  const [row] = await q<TokenRow[]>`${select(q)} WHERE t.id = ${id}`;
  return row && toToken(row);
}

export async function findApiTokenByHash(q: Queryable, hash: string): Promise<ApiToken | undefined> {
  const [row] = await q<TokenRow[]>`${select(q)} WHERE t.token_hash = ${hash}`;
  return row && toToken(row);
}

/** The token a secret belongs to: its current secret, or the previous one within its grace period. */
export async function findApiTokenBySecretHash(q: Queryable, hash: string): Promise<(ApiToken & { expired: boolean }) | undefined> {
  const [row] = await q<(TokenRow & { expired: boolean })[]>`
    SELECT ${columns(q)}, (t.expires_at IS NOT NULL AND t.expires_at <= now()) AS expired
    FROM api_tokens t LEFT JOIN projects p ON p.id = t.project_id
    WHERE t.token_hash = ${hash} OR (t.previous_token_hash = ${hash} AND t.previous_expires_at > now())
    LIMIT 1`;
  return row && { ...toToken(row), expired: row.expired };
}

export async function listApiTokens(q: Queryable): Promise<ApiToken[]> {
  const rows = await q<TokenRow[]>`${select(q)} ORDER BY t.created_at, t.id`;
  return rows.map(toToken);
}

/** Revokes an active token; false when it was already revoked (a concurrent revoke won). */
export async function revokeApiToken(q: Queryable, id: string, by: string): Promise<boolean> {
  const rows = await q`
    UPDATE api_tokens SET revoked_at = now(), revoked_by = ${by}, previous_token_hash = NULL, previous_expires_at = NULL
    WHERE id = ${id} AND revoked_at IS NULL RETURNING id`;
  return rows.length === 1;
}

/**
 * Gives an active token a new secret. The previous secret keeps working for `graceSeconds` (0:
 * not at all); a new expiry, when given, counts from now.
 */
export async function rotateApiToken(
  q: Queryable,
  id: string,
  t: { hash: string; prefix: string; graceSeconds: number; expiresInDays?: number | undefined },
): Promise<boolean> {
  const rows = await q`
    UPDATE api_tokens SET
      previous_token_hash = CASE WHEN ${t.graceSeconds} > 0 THEN token_hash END,
      previous_expires_at = CASE WHEN ${t.graceSeconds} > 0 THEN now() + make_interval(secs => ${t.graceSeconds}) END,
      token_hash = ${t.hash}, prefix = ${t.prefix}, rotated_at = now(),
      expires_at = ${t.expiresInDays === undefined ? q`expires_at` : q`now() + make_interval(days => ${t.expiresInDays})`}
    WHERE id = ${id} AND revoked_at IS NULL
    RETURNING id`;
  return rows.length === 1;
}

export const CONFIGURED_ADMIN_NAME = 'bootstrap (VERDICT_ADMIN_TOKEN)';

/** Revokes earlier VERDICT_ADMIN_TOKEN registrations when the configured token changes. */
export async function revokeConfiguredAdmins(q: Queryable, exceptHash: string, by: string): Promise<string[]> {
  const rows = await q<{ id: string }[]>`
    UPDATE api_tokens SET revoked_at = now(), revoked_by = ${by}
    WHERE name = ${CONFIGURED_ADMIN_NAME} AND revoked_at IS NULL AND token_hash <> ${exceptHash}
    RETURNING id`;
  return rows.map((r) => r.id);
}

/** Active admin tokens, locked so two concurrent revocations cannot both remove "the other" last admin. */
export async function lockActiveAdmins(q: Queryable): Promise<string[]> {
  const rows = await q<{ id: string }[]>`
    SELECT id FROM api_tokens
    WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AND project_id IS NULL
    ORDER BY id FOR UPDATE`;
  return rows.map((r) => r.id);
}

/** Best effort and rate-limited to once a minute per token: a timestamp is not worth a write per request. */
export async function touchApiToken(q: Queryable, id: string): Promise<void> {
  await q`
    UPDATE api_tokens SET last_used_at = now()
    WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;
}
