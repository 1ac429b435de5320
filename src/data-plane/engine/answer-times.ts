import type { EvaluationTarget } from './lane.js';

/** Recent answer times per decision (an exponential moving average), to tell suspects apart. */
export class AnswerTimes {
  readonly #times = new Map<string, { n: number; avgMs: number }>();

  record(target: EvaluationTarget, ms: number): void {
    const id = `${target.ns}\0${target.key}`;
    const seen = this.#times.get(id);
    if (seen) {
      seen.n++;
      seen.avgMs += (ms - seen.avgMs) / Math.min(seen.n, 50);
    } else {
      if (this.#times.size >= 10_000) this.#times.clear(); // bounded; it only steers retries
      this.#times.set(id, { n: 1, avgMs: ms });
    }
  }

  /** Answered often, and far quicker than the slow mark. */
  quick(target: EvaluationTarget, slowMs: number): boolean {
    const seen = this.#times.get(`${target.ns}\0${target.key}`);
    return seen !== undefined && seen.n >= 20 && seen.avgMs < slowMs / 10;
  }
}
