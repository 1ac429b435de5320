import { readFileSync } from 'node:fs';
import { ZenEngine, type ZenDecision } from '@gorules/zen-engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompileResult, compileGraph } from '../../src/compiled/index.js';
import { CLOCK_DEPENDENT, corpusFiles, corpusPath, readCorpus, withoutPaths } from '../helpers/corpus.js';
import { type Tally, caseBudget, compiledOutcome, contextArb, engineOutcome, newTally, sameOutcome } from './differential.js';

/**
 * Every corpus graph through the compiler: which compile and why the others fall back, their
 * expected outputs, and generated contexts compared with zen-engine evaluated in-process.
 * VERDICT_DIFF_CASES sets the generated cases across the corpus (default 100,000, what CI runs; more
 * for a long run), VERDICT_DIFF_SEED replays a run.
 */

const TOTAL_CASES = caseBudget(100_000);
const SEED = Number(process.env.VERDICT_DIFF_SEED ?? Date.now() % 2 ** 31);

// Sub-decisions in the corpus name engine-cases files by file name.
const resolve = (key: string): unknown => {
  try {
    return JSON.parse(readFileSync(corpusPath('engine-cases', key), 'utf8'));
  } catch {
    return undefined;
  }
};
const engine = new ZenEngine({ loader: async (key) => readFileSync(corpusPath('engine-cases', key)) });

interface Entry {
  folder: 'graphs' | 'engine-cases';
  file: string;
  graph: any;
  compiled: CompileResult;
}

const entries: Entry[] = [...corpusFiles('graphs').map((f) => ['graphs', f] as const), ...corpusFiles('engine-cases').map((f) => ['engine-cases', f] as const)].map(
  ([folder, file]) => {
    const graph = readCorpus(folder, file);
    return { folder, file, graph, compiled: compileGraph(graph, resolve) };
  },
);
const compiled = entries.filter((e): e is Entry & { compiled: Extract<CompileResult, { kind: 'compiled' }> } => e.compiled.kind === 'compiled');

function zenDecision(entry: Entry): ZenDecision {
  return engine.createDecision(entry.graph);
}

describe('compiled decisions: the JDM corpus', () => {
  it('reports which graphs compile and why the others fall back', () => {
    const lines = entries.map((e) =>
      e.compiled.kind === 'compiled' ? `  compiled     ${e.folder}/${e.file}` : `  falls back   ${e.folder}/${e.file}: ${e.compiled.reasons.join('; ')}`,
    );
    console.log(`compile report: ${compiled.length} of ${entries.length} corpus graphs compile\n${lines.join('\n')}`);
    // Function nodes, schemas and date functions are refused on purpose; the rest compiles.
    expect(compiled.length).toBeGreaterThanOrEqual(50);
    for (const e of entries) {
      if (e.compiled.kind === 'unsupported') expect(e.compiled.reasons.length).toBeGreaterThan(0);
    }
    const refused = (file: string) => entries.find((e) => e.file === file)!.compiled.kind === 'unsupported';
    expect(refused('function.json') && refused('aml.json') && refused('error-cyclic.json') && refused('recursive-table1.json')).toBe(true);
  });

  it('gives the corpus expected outputs, as zen-engine does', async () => {
    let checked = 0;
    for (const e of compiled) {
      const tests: { input: unknown; output: unknown }[] = e.graph.tests ?? [];
      const decision = zenDecision(e);
      for (const t of tests) {
        const mine = compiledOutcome(() => e.compiled.evaluate(t.input));
        const zen = await engineOutcome(async () => (await decision.evaluate(t.input as object)).result);
        if (mine.kind === 'notSure') continue;
        expect(sameOutcome(mine, zen), `${e.file} ${JSON.stringify(t.input)}`).toBe(true);
        // Clock-dependent graphs (corpus README) are compared with the engine only.
        const clock = CLOCK_DEPENDENT[e.file];
        if (mine.kind === 'result' && clock?.length !== 0) expect(withoutPaths(mine.value, clock ?? []), e.file).toEqual(withoutPaths(t.output, clock ?? []));
        checked++;
      }
    }
    console.log(`expected outputs: ${checked} corpus cases equal`);
    expect(checked).toBeGreaterThan(50);
  });

  it(`answers generated contexts as zen-engine does (${TOTAL_CASES} cases, seed ${SEED})`, async () => {
    const tally: Tally = newTally();
    // The 2.8 MB table (8k.json) gets few cases; the others share the rest of the budget.
    const BIG_TABLE_CASES = Math.min(200, TOTAL_CASES);
    const others = compiled.filter((e) => e.file !== '8k.json').length;
    const perGraph = Math.max(1, Math.ceil((TOTAL_CASES - BIG_TABLE_CASES) / Math.max(1, others)));
    const notSureWhy = new Map<string, number>();
    const perGraphReport: string[] = [];
    for (const e of compiled) {
      const seeds = (e.graph.tests ?? []).map((t: { input: unknown }) => t.input);
      const contexts = fc.sample(contextArb(e.graph, seeds), { numRuns: e.file === '8k.json' ? BIG_TABLE_CASES : perGraph, seed: SEED });
      const decision = zenDecision(e);
      const before = { ...tally, differences: tally.differences.length };
      // Evaluations go to the engine in chunks: one at a time it is slow unpinned on 2 cores.
      for (let i = 0; i < contexts.length; i += 64) {
        const chunk = contexts.slice(i, i + 64);
        const mine = chunk.map((context) => compiledOutcome(() => e.compiled.evaluate(context)));
        const zen = await Promise.all(
          chunk.map((context, j) =>
            // Never hand the engine what we know aborts its process; NotSure goes to the engine in production.
            mine[j]!.kind === 'crash' || mine[j]!.kind === 'notSure'
              ? undefined
              : engineOutcome(async () => (await decision.evaluate(context as object)).result),
          ),
        );
        chunk.forEach((context, j) => {
          tally.cases++;
          const m = mine[j]!;
          if (m.kind === 'notSure') {
            tally.notSure++;
            notSureWhy.set(m.why, (notSureWhy.get(m.why) ?? 0) + 1);
          }
          else if (m.kind === 'crash') tally.crashPredicted++;
          else if (sameOutcome(m, zen[j]!)) tally.same++;
          else tally.differences.push({ graph: e.file, context, compiled: m, engine: zen[j]! });
        });
      }
      perGraphReport.push(
        `  ${e.file}: ${tally.cases - before.cases} cases, ${tally.notSure - before.notSure} not sure, ${tally.differences.length - before.differences} differences`,
      );
    }
    console.log(
      `differential (seed ${SEED}): ${tally.cases} cases, ${tally.same} equal, ${tally.notSure} left to the engine (NotSure), ` +
        `${tally.crashPredicted} engine aborts predicted, ${tally.differences.length} differences\n${perGraphReport.join('\n')}\n` +
        `left to the engine because: ${[...notSureWhy].map(([why, n]) => `${why} (${n})`).join(', ') || 'nothing'}`,
    );
    for (const d of tally.differences.slice(0, 5)) console.log(JSON.stringify(d).slice(0, 2000));
    expect(tally.differences).toEqual([]);
    expect(tally.cases).toBeGreaterThanOrEqual(Math.min(TOTAL_CASES, compiled.length) * 0.9);
  });
});
