/** Patroni's REST API could not be asked, or answered something this client cannot read: one line, no stack. */
export class PatroniError extends Error {
  override name = 'PatroniError';
}
