/**
 * How a result is compared with a case's expected output: as JSON values, the rule the JDM
 * corpus's own conformance test applies (deep equality of what the engine returned with `output`):
 * the same keys with equal values, key order ignored, array order significant.
 */

/** One place where the actual result differs from the expected one; a missing side is absent. */
export interface Difference {
  /** JSON Pointer into the result ('' for the whole result). */
  readonly path: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

/** A result can differ in many places; a report lists the first few, for a person to act on. */
export const MAX_DIFFERENCES = 20;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const pointer = (path: string, key: string | number): string => `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * Where `actual` differs from `expected` (empty: they are equal), at most `limit` places, found
 * depth first, object keys in code-unit order, array items by index. Objects and arrays
 * are compared member by member; anything else, or values of different kinds, as a whole.
 */
export function differences(expected: unknown, actual: unknown, limit = MAX_DIFFERENCES): Difference[] {
  const found: Difference[] = [];
  const walk = (e: unknown, a: unknown, path: string): void => {
    if (found.length >= limit) return;
    if (Array.isArray(e) && Array.isArray(a)) {
      for (let i = 0; i < Math.max(e.length, a.length); i++) {
        if (i >= a.length) found.push({ path: pointer(path, i), expected: e[i] });
        else if (i >= e.length) found.push({ path: pointer(path, i), actual: a[i] });
        else walk(e[i], a[i], pointer(path, i));
        if (found.length >= limit) return;
      }
      return;
    }
    if (isObject(e) && isObject(a)) {
      // In code-unit key order, as canonical JSON has it: the order keys were written in is not
      // kept by the database (jsonb), and a report must not change with it.
      const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (const key of keys) {
        if (!Object.hasOwn(a, key)) found.push({ path: pointer(path, key), expected: e[key] });
        else if (!Object.hasOwn(e, key)) found.push({ path: pointer(path, key), actual: a[key] });
        else walk(e[key], a[key], pointer(path, key));
        if (found.length >= limit) return;
      }
      return;
    }
    if (e !== a) found.push({ path, expected: e, actual: a });
  };
  walk(expected, actual, '');
  return found;
}
