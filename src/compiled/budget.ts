import { notSure } from './errors.js';

/**
 * How much work one compiled evaluation may do on the request's thread: closure iterations, table
 * rows, loop-node items. Past it the evaluation is NotSure and goes to zen-engine, whose hosts
 * have deadlines and isolate a decision that runs away; evaluated here it would hold the node's
 * event loop, and every other tenant's evaluations with it. 100,000 steps are a few milliseconds.
 */
export const MAX_STEPS = 100_000;

let left = MAX_STEPS;

/** At the start of every top-level evaluation. */
export function resetBudget(): void {
  left = MAX_STEPS;
}

export function spend(steps: number): void {
  left -= steps;
  if (left < 0) notSure('more work than an evaluation may do on the request thread');
}
