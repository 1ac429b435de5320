import { AppError } from '../../errors.js';

/**
 * Admission for test runs on this node. Every case is evaluated in the engine's isolated lane, one
 * process that runs one request at a time and also serves editors' simulations and save-time
 * checks: two runs at once would finish no sooner, and many would fill the lane's queue and
 * starve those. So one run goes at a time, a few wait (a release gate in a pipeline would rather
 * wait than fail), and the rest are told to come back (503 with Retry-After).
 */
export class RunQueue {
  #running = false;
  readonly #waiting: (() => void)[] = [];

  constructor(
    private readonly maxWaiting: number,
    private readonly retryAfterSeconds = 5,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (!this.#running) {
      this.#running = true;
    } else {
      if (this.#waiting.length >= this.maxWaiting) {
        throw new AppError(
          'not-ready',
          `a test run is under way on this server and ${this.#waiting.length} more are waiting; retry in ${this.retryAfterSeconds} s`,
          { retryAfter: this.retryAfterSeconds },
        );
      }
      // The finishing run hands its turn over: `running` stays true.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running = false;
    }
  }
}
