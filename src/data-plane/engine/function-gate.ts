import { availableParallelism } from 'node:os';
import { AppError } from '../../errors.js';

interface Waiter {
  readonly since: number;
  grant(): void;
  timer: NodeJS.Timeout;
}

export interface FunctionGateStatus {
  readonly concurrency: number;
  readonly running: number;
  readonly waiting: number;
  /** How long the oldest waiter has waited (ms), 0 when none. */
  readonly oldestWaitMs: number;
}

/**
 * The engine runs evaluations on one worker thread per core, and a function node holds its thread
 * until it returns or its deadline stops it. Evaluations that can run function code therefore
 * share at most cores - 1 slots, so table and expression decisions always keep a thread. A slot
 * is always given back (the evaluation's deadline ends it), and a waiter gives up at its own
 * deadline: nothing can hold the gate forever.
 */
export class FunctionGate {
  #running = 0;
  readonly #waiters: Waiter[] = [];

  constructor(
    readonly concurrency = Math.max(1, availableParallelism() - 1),
    private readonly maxQueued = 10_000,
  ) {}

  /** Waits for a slot until `deadline` (epoch ms); the returned function gives it back (once). */
  acquire(deadline: number): Promise<() => void> {
    if (this.#running < this.concurrency) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiters.length >= this.maxQueued) {
      return Promise.reject(new AppError('not-ready', `too many evaluations with function nodes are waiting (${this.maxQueued}); retry shortly`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        since: Date.now(),
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(this.#releaser());
        },
        timer: setTimeout(
          () => {
            const at = this.#waiters.indexOf(waiter);
            if (at >= 0) this.#waiters.splice(at, 1);
            reject(
              new AppError(
                'not-ready',
                `every slot for decisions with function nodes (${this.concurrency}, VERDICT_FUNCTION_CONCURRENCY) stayed busy until this request's deadline; retry shortly`,
              ),
            );
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.#waiters.push(waiter);
    });
  }

  get status(): FunctionGateStatus {
    return {
      concurrency: this.concurrency,
      running: this.#running,
      waiting: this.#waiters.length,
      oldestWaitMs: this.#waiters.length > 0 ? Date.now() - this.#waiters[0]!.since : 0,
    };
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.grant(); // the slot passes on: #running is unchanged
      else this.#running--;
    };
  }
}
