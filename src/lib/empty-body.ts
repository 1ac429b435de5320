/**
 * A preValidation hook for routes whose body fields are all optional: a request without a body is
 * treated as `{}`, so `curl -X POST .../rollback` works without `-d '{}'`. It lives in lib, not
 * http/, because feature routes use it and features must not import the HTTP app that registers
 * them (see .dependency-cruiser.mjs).
 */
export async function emptyBodyAsObject(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}
