/** A local PostgreSQL server could not be made, started or stopped; the message says why. */
export class LocalPgError extends Error {
  override name = 'LocalPgError';
}
