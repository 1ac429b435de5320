import { AppError } from '../../errors.js';

/**
 * Admission for package applies: one runs at a time (each may hold a package's worth of parsed
 * JSON, and applies to one project serialize on its lock anyway), a few wait, and the rest are
 * told to come back (503 with Retry-After) instead of piling up request bodies in memory.
 */
export class ApplyQueue {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    private readonly maxWaiting: number,
    private readonly retryAfterSeconds = 5,
  ) {}

  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** Throws the 503 an apply would get now, so a request can be refused before its body is read. */
  admit(): void {
    if (this.#running === 1 && this.#waiting.length >= this.maxWaiting) {
      throw new AppError(
        'not-ready',
        `a release package is being applied and ${this.#waiting.length} more are waiting (VERDICT_PACKAGE_APPLY_QUEUE); retry in ${this.retryAfterSeconds} s`,
        { retryAfter: this.retryAfterSeconds },
      );
    }
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running === 0) {
      this.#running = 1;
    } else {
      this.admit();
      // The finishing apply hands its slot over: `running` stays 1.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running = 0;
    }
  }
}
