import type { EvaluationTarget } from './lane.js';

interface Seen {
  n: number;
  avgMs: number;
  /** Deadlines missed in a row, with no answer in between. */
  missed: number;
}

/** Recent answer times per decision (an exponential moving average), to tell suspects apart. */
export class AnswerTimes {
  readonly #times = new Map<string, Seen>();

  record(target: EvaluationTarget, ms: number): void {
    const seen = this.#seen(target);
    seen.n++;
    seen.avgMs += (ms - seen.avgMs) / Math.min(seen.n, 50);
    seen.missed = 0;
  }

  /** A deadline passed with no answer; returns how many in a row this decision has missed. */
  missed(target: EvaluationTarget): number {
    return ++this.#seen(target).missed;
  }

  #seen(target: EvaluationTarget): Seen {
    const id = `${target.ns}\0${target.key}`;
    let seen = this.#times.get(id);
    if (!seen) {
      if (this.#times.size >= 10_000) this.#times.clear(); // bounded; it only steers retries
      seen = { n: 0, avgMs: 0, missed: 0 };
      this.#times.set(id, seen);
    }
    return seen;
  }

  /** Answered often, and far quicker than the slow mark. */
  quick(target: EvaluationTarget, slowMs: number): boolean {
    const seen = this.#times.get(`${target.ns}\0${target.key}`);
    return seen !== undefined && seen.n >= 20 && seen.avgMs < slowMs / 5;
  }
}
