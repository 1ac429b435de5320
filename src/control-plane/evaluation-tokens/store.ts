import type { Queryable } from '../../db/connect.js';
import type { EvaluationToken } from './schemas.js';

interface TokenRow extends Omit<EvaluationToken, 'createdAt' | 'revokedAt' | 'lastUsedAt'> {
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const toToken = (r: TokenRow): EvaluationToken => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
});

const select = (q: Queryable) => q`
  SELECT t.id, t.name, e.key AS environment, t.prefix, t.created_by, t.created_at, t.revoked_at, t.last_used_at
  FROM evaluation_tokens t JOIN environments e ON e.id = t.environment_id`;

export async function insertEvaluationToken(
  q: Queryable,
  t: { environmentId: string; name: string; hash: string; prefix: string; createdBy: string },
): Promise<EvaluationToken> {
  const [row] = await q<{ id: string }[]>`
    INSERT INTO evaluation_tokens (environment_id, name, token_hash, prefix, created_by)
    VALUES (${t.environmentId}, ${t.name}, ${t.hash}, ${t.prefix}, ${t.createdBy}) RETURNING id`;
  return (await findEvaluationToken(q, t.environmentId, row!.id))!;
}

export async function findEvaluationToken(q: Queryable, environmentId: string, id: string): Promise<EvaluationToken | undefined> {
  const [row] = await q<TokenRow[]>`${select(q)} WHERE t.environment_id = ${environmentId} AND t.id = ${id}`;
  return row && toToken(row);
}

export async function listEvaluationTokens(q: Queryable, environmentId: string): Promise<EvaluationToken[]> {
  const rows = await q<TokenRow[]>`${select(q)} WHERE t.environment_id = ${environmentId} ORDER BY t.created_at, t.id`;
  return rows.map(toToken);
}

/** Revokes an active token; false when it was already revoked (a concurrent revoke won). */
export async function revokeEvaluationToken(q: Queryable, id: string, by: string): Promise<boolean> {
  const rows = await q`UPDATE evaluation_tokens SET revoked_at = now(), revoked_by = ${by} WHERE id = ${id} AND revoked_at IS NULL RETURNING id`;
  return rows.length === 1;
}

export async function activeTokenHashes(q: Queryable): Promise<{ tokenHash: string; environmentId: string }[]> {
  return q<{ tokenHash: string; environmentId: string }[]>`
    SELECT token_hash, environment_id FROM evaluation_tokens WHERE revoked_at IS NULL`;
}

export async function touchTokens(q: Queryable, hashes: readonly string[], at: Date): Promise<void> {
  await q`
    UPDATE evaluation_tokens SET last_used_at = ${at}
    WHERE token_hash = ANY(${hashes as string[]}) AND (last_used_at IS NULL OR last_used_at < ${at})`;
}
