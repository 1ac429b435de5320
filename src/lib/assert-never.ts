/**
 * The `default` of a switch over a tagged union: it only type-checks when every kind has its own
 * case, so adding a kind fails the build where it is not handled instead of falling through.
 */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
