/**
 * The `default` of a switch over a tagged union: it compiles only when every kind has a case, so
 * a kind added later cannot be skipped silently.
 */
export function unreachable(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
