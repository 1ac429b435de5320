import { usageError } from './io.js';

/** An option that must be a whole number of at least 1 (a count, a limit, seconds); a usage error otherwise. */
export function parsePositive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} must be a positive integer (got "${value}")`);
  return n;
}
