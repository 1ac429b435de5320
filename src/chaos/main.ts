import { rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { labDown } from '../lab/lab.js';
import { isAlive } from '../local-pg/index.js';
import { namespacesUnavailable, removeLeftovers } from './network.js';
import { planScenarios } from './plan.js';
import { problems, scenarioLine, summaryLine } from './report.js';
import { runScenario, type ScenarioResult } from './scenario.js';

/**
 * `npm run test:chaos`: fault scenarios on labs of their own, each checked by the set checker;
 * one line per scenario and the summary as the last line of stdout. Exit 1 when any scenario
 * lost, duplicated or made up a write, had evaluation errors in a surviving region, served a mixed
 * release or did not recover. Progress goes to stderr.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const positive = (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  };
  const nonNegative = (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer of 0 or more');
    return n;
  };
  const program = new Command('test:chaos')
    .description('fault injection with a set checker on throw-away labs')
    .option('--scenarios <n>', 'how many scenarios (env CHAOS_SCENARIOS)', positive, Number(process.env.CHAOS_SCENARIOS ?? 20))
    .option('--seed <n>', 'seed of the random fault sequences (env CHAOS_SEED; default: random)', positive)
    .option('--only <steps>', 'comma-separated fault steps to run alone first (env CHAOS_ONLY)', process.env.CHAOS_ONLY)
    .option('--async <n>', 'async-replication scenarios after them, reported on their own line (env CHAOS_ASYNC)', nonNegative, Number(process.env.CHAOS_ASYNC ?? 2))
    .option('--quiet', 'no progress on stderr')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'node' });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
  const opts = program.opts<{ scenarios: number; seed?: number; only?: string; async: number; quiet?: boolean }>();
  const seed = opts.seed ?? Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31) + 1);
  const progress = opts.quiet ? () => undefined : (line: string) => process.stderr.write(`${line}\n`);
  const out = (line: string) => process.stdout.write(`${line}\n`);

  await cleanLeftovers(progress);
  const unavailable = namespacesUnavailable();
  if (unavailable) out(`partition scenarios skipped: ${unavailable}; the other faults run on loopback labs`);
  let scenarios;
  try {
    scenarios = planScenarios({ count: opts.scenarios, asyncCount: opts.async, seed, network: unavailable === undefined, ...(opts.only ? { only: opts.only.split(',').map((s) => s.trim()) } : {}) });
  } catch (error) {
    process.stderr.write(`test:chaos: ${(error as Error).message}\n`);
    return 1;
  }
  out(`seed: ${seed}`);

  let teardown: (() => Promise<void>) | undefined;
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`test:chaos: ${signal}, tearing the current lab down\n`);
    void (teardown?.() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const began = performance.now();
  const results: ScenarioResult[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    progress(`scenario ${i + 1}/${scenarios.length}: ${scenario.name} [${scenario.mode}]`);
    const result = await runScenario(scenario, {
      network: unavailable === undefined,
      tag: `c${seed}-s${i + 1}-`,
      log: progress,
      onTeardown: (t) => (teardown = t),
    });
    results.push(result);
    out(scenarioLine(i + 1, scenarios.length, result));
    for (const problem of problems(result)) out(`     ${problem}`);
  }
  const failed = results.filter((r) => problems(r).length > 0).length;
  out(`${failed === 0 ? 'all scenarios passed' : `${failed} scenario(s) failed`} in ${((performance.now() - began) / 1000).toFixed(0)} s (seed ${seed}; CHAOS_SEED=${seed} repeats the sequences)`);
  // The summary line counts the sync scenarios (none may lose a write); async ones have their own, before it.
  const asyncResults = results.filter((r) => r.mode === 'async');
  if (asyncResults.length > 0) out(summaryLine(asyncResults, 'chaos async'));
  out(summaryLine(results.filter((r) => r.mode === 'sync')));
  return failed === 0 ? 0 : 1;
}

/** Namespaces and lab folders of runs that died (killed, timed out): their processes too. */
async function cleanLeftovers(progress: (line: string) => void): Promise<void> {
  const removed = process.getuid?.() === 0 ? removeLeftovers() : [];
  for (const entry of readdirSync(tmpdir())) {
    const pid = Number(/^verdict-chaos-(\d+)-/.exec(entry)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    const dir = path.join(tmpdir(), entry);
    // Stops what its lab.json names by pid, then deletes it.
    await labDown(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  if (removed.length > 0) progress(`removed leftovers of earlier runs: ${removed.join(', ')}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await main(process.argv);
}
