/** A DR action refused or failed for a reason the operator can act on: one line, no stack. */
export class DrError extends Error {
  override name = 'DrError';
}
