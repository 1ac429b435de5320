import { FAULT_STEPS, type FaultStep } from './faults.js';
import { Rng } from './prng.js';
import type { Scenario } from './scenario.js';

export interface PlanOptions {
  readonly count: number;
  readonly seed: number;
  /** Network namespaces can be used: partition steps take part. */
  readonly network: boolean;
  /** Only these steps, each as a scenario of its own, before the random sequences. */
  readonly only?: readonly string[];
  /** Async-mode scenarios after the sync ones: the primary-loss steps in turn. */
  readonly asyncCount?: number;
}

/**
 * Steps that lose the primary, for async mode's bounded losses. Not pause- or partition-primary:
 * there the old primary, confirmed lost, comes back answering, and nodes that never saw the new
 * generation write to it until their next generation-watch round; async mode acknowledges those
 * writes and the rejoin discards them (the runbook's warning). They run in sync mode.
 */
const ASYNC_STEPS = ['kill-primary', 'old-primary-writable', 'promote-lagging'];

/**
 * The run's scenarios: every fault step alone (or the `only` ones), then random sequences of two
 * or three steps drawn from the seeded PRNG until `count`. With fewer than all single steps asked
 * for, the first ones.
 */
export function planScenarios(options: PlanOptions): Scenario[] {
  const rng = new Rng(options.seed);
  const usable = FAULT_STEPS.filter((s) => options.network || !s.needsNetwork);
  // A partition asked for by name where namespaces cannot be made is left out: the runner says why.
  const singles = options.only ? options.only.map(stepNamed).filter((s) => usable.includes(s)) : usable;
  const scenarios: Scenario[] = singles.slice(0, options.count).map((step) => ({ name: step.name, steps: [step], seed: rng.int(1, 2 ** 31), mode: 'sync' }));
  while (scenarios.length < options.count) {
    const steps = Array.from({ length: rng.int(2, 3) }, () => rng.pick(usable));
    scenarios.push({ name: steps.map((s) => s.name).join(' + '), steps, seed: rng.int(1, 2 ** 31), mode: 'sync' });
  }
  const asyncSteps = usable.filter((s) => ASYNC_STEPS.includes(s.name));
  for (let i = 0; i < (options.asyncCount ?? 0); i++) {
    const step = asyncSteps[i % asyncSteps.length]!;
    scenarios.push({ name: step.name, steps: [step], seed: rng.int(1, 2 ** 31), mode: 'async' });
  }
  return scenarios;
}

function stepNamed(name: string): FaultStep {
  const step = FAULT_STEPS.find((s) => s.name === name);
  if (!step) throw new Error(`no fault step '${name}'; there are ${FAULT_STEPS.map((s) => s.name).join(', ')}`);
  return step;
}
