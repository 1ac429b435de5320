import { availableParallelism } from 'node:os';
import pLimit, { type LimitFunction } from 'p-limit';
import { AppError } from '../../errors.js';

/**
 * The engine runs evaluations on one worker thread per core, and a function node that loops is
 * only interrupted after about 500 ms. Measured here: with 2 cores, two such requests at once
 * stalled every other evaluation for 480 ms. Evaluations that can run function code therefore
 * share at most cores - 1 workers, so table and expression decisions always keep one.
 */
export class FunctionGate {
  readonly #limit: LimitFunction;

  constructor(
    readonly concurrency = Math.max(1, availableParallelism() - 1),
    private readonly maxQueued = 10_000,
  ) {
    this.#limit = pLimit(concurrency);
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#limit.pendingCount >= this.maxQueued) {
      return Promise.reject(new AppError('not-ready', `too many evaluations with function nodes are waiting (${this.maxQueued}); retry shortly`));
    }
    return this.#limit(work);
  }
}
