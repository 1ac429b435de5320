import { usageError } from './io.js';

/** An option that must be a whole number of at least 1 (a count, a limit, seconds); a usage error otherwise. */
export function parsePositive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} must be a positive integer (got "${value}")`);
  return n;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A duration such as 90d, 12h, 30m, 45s (or plain seconds), in seconds; a usage error otherwise. */
export function parseDuration(value: string, name: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (!match) throw usageError(`${name} must be a duration such as 90d, 12h, 30m or 45s (got "${value}")`);
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 's') as keyof typeof UNIT_SECONDS];
}

/** A whole number from 0 to max; a usage error otherwise. */
export function parseCount(value: string, name: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw usageError(`${name} must be a whole number from 0 to ${max} (got "${value}")`);
  return n;
}
