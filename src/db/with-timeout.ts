/** A query that did not answer in time: the server is slow or unreachable, not known to be down. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** `work`, or a DeadlineError after `ms` (the work itself is not cancelled). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
