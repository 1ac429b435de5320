import { badRequest } from '../errors.js';

const SEGMENT = /^[A-Za-z0-9$_][A-Za-z0-9$_.-]{0,99}$/;
const MAX_KEY_LENGTH = 200;

/**
 * Why `raw` is not a valid decision key, or undefined when it is. Keys are path-like
 * (`pricing/discount`): segments of letters, digits, `$`, `_`, `.` and `-`, not starting with a
 * dot, so no segment can be `.` or `..`.
 */
export function decisionKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'the decision key is empty';
  if (key.length > MAX_KEY_LENGTH) return `the decision key is longer than ${MAX_KEY_LENGTH} characters`;
  const bad = key.split('/').find((segment) => !SEGMENT.test(segment));
  if (bad !== undefined) {
    return bad === ''
      ? `decision key '${key}' has an empty path segment`
      : `decision key '${key}' has an invalid segment '${bad}' (use letters, digits, $ _ . -, not starting with a dot)`;
  }
  return undefined;
}

/** Normalises a key as users and GoRules write it: leading slash and a `.json` suffix are dropped. */
export function normalizeDecisionKey(raw: string): string {
  return raw.replace(/^\/+/, '').replace(/\.json$/i, '');
}

/** Normalises and checks a key, answering 400 when it is not valid. */
export function parseDecisionKey(raw: string): string {
  const key = normalizeDecisionKey(raw);
  const problem = decisionKeyProblem(key);
  if (problem) throw badRequest(problem);
  return key;
}
