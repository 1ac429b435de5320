/** SQLSTATE of a postgres.js error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  sqlState(error) === '23505' &&
  (constraint === undefined || (error as { constraint_name?: string }).constraint_name === constraint);

/**
 * Errors meaning the server we talk to cannot take this write or is gone: read-only transaction
 * (25006), admin/crash shutdown (57P01-57P03) and connection exceptions (class 08), plus the
 * client-side connection failures postgres.js reports with its own codes.
 */
export function isConnectionOrReadOnlyError(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return state === '25006' || state === '57P01' || state === '57P02' || state === '57P03' || state.startsWith('08');
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED'].includes(code)
  );
}
