/** A topology that cannot be used as given (a bad file, a missing field, an unknown region): the operator's to fix. */
export class TopologyError extends Error {
  override name = 'TopologyError';
}
