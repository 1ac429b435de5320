import type { Queryable } from '../../db/connect.js';
import type { Role } from './roles.js';
import type { ApiToken } from './schemas.js';

interface TokenRow extends Omit<ApiToken, 'createdAt' | 'revokedAt' | 'lastUsedAt'> {
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const toToken = (r: TokenRow): ApiToken => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
});

const select = (q: Queryable) => q`SELECT id, name, role, prefix, created_by, created_at, revoked_at, last_used_at FROM api_tokens`;

export async function insertApiToken(
  q: Queryable,
  t: { name: string; role: Role; hash: string; prefix: string; createdBy: string },
): Promise<ApiToken> {
  const [row] = await q<TokenRow[]>`
    INSERT INTO api_tokens (name, role, token_hash, prefix, created_by)
    VALUES (${t.name}, ${t.role}, ${t.hash}, ${t.prefix}, ${t.createdBy})
    RETURNING id, name, role, prefix, created_by, created_at, revoked_at, last_used_at`;
  return toToken(row!);
}

export async function findApiToken(q: Queryable, id: string): Promise<ApiToken | undefined> {
  const [row] = await q<TokenRow[]>`${select(q)} WHERE id = ${id}`;
  return row && toToken(row);
}

export async function findApiTokenByHash(q: Queryable, hash: string): Promise<ApiToken | undefined> {
  const [row] = await q<TokenRow[]>`${select(q)} WHERE token_hash = ${hash}`;
  return row && toToken(row);
}

export async function listApiTokens(q: Queryable): Promise<ApiToken[]> {
  const rows = await q<TokenRow[]>`${select(q)} ORDER BY created_at, id`;
  return rows.map(toToken);
}

/** Revokes an active token; false when it was already revoked (a concurrent revoke won). */
export async function revokeApiToken(q: Queryable, id: string, by: string): Promise<boolean> {
  const rows = await q`UPDATE api_tokens SET revoked_at = now(), revoked_by = ${by} WHERE id = ${id} AND revoked_at IS NULL RETURNING id`;
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
  const rows = await q<{ id: string }[]>`SELECT id FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL ORDER BY id FOR UPDATE`;
  return rows.map((r) => r.id);
}

/** Best effort and rate-limited to once a minute per token: a timestamp is not worth a write per request. */
export async function touchApiToken(q: Queryable, id: string): Promise<void> {
  await q`
    UPDATE api_tokens SET last_used_at = now()
    WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;
}
