/**
 * In-process micro-benchmark: evaluations per second of each corpus decision, compiled
 * (src/compiled) against zen-engine (a cached ZenDecision, sequential and 64 at a time).
 * Not part of `npm run bench` yet. Run: node --import tsx bench/compiled-vs-zen.ts [ms per run]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ZenEngine } from '@gorules/zen-engine';
import { compileGraph } from '../src/compiled/index.js';
import { CORPUS_DIR } from '../test/helpers/corpus.js';

const MS = Number(process.argv[2] ?? 300);
const graphsDir = path.join(CORPUS_DIR, 'graphs');
const engineCases = path.join(CORPUS_DIR, 'engine-cases');
const engine = new ZenEngine({ loader: async (key) => readFileSync(path.join(engineCases, key)) });

async function rate(run: () => unknown | Promise<unknown>, batch = 1): Promise<number> {
  const end = performance.now() + MS;
  let n = 0;
  while (performance.now() < end) {
    if (batch === 1) await run();
    else await Promise.all(Array.from({ length: batch }, run));
    n += batch;
  }
  return (n * 1000) / MS;
}

function rateSync(run: () => unknown): number {
  for (let i = 0; i < 200; i++) run(); // warm up the JIT
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < MS) {
    for (let i = 0; i < 50; i++) run();
    n += 50;
  }
  return (n * 1000) / (performance.now() - start);
}

const rows: { name: string; compiled: number; zenSeq: number; zenBatch: number }[] = [];
for (const file of readdirSync(graphsDir).filter((f) => f.endsWith('.json')).sort()) {
  const graph = JSON.parse(readFileSync(path.join(graphsDir, file), 'utf8'));
  const inputs: unknown[] = (graph.tests ?? []).map((t: { input: unknown }) => t.input);
  if (inputs.length === 0) continue;
  const compiled = compileGraph(graph, (key) => JSON.parse(readFileSync(path.join(engineCases, key), 'utf8')));
  if (compiled.kind !== 'compiled') continue;
  const decision = engine.createDecision(graph);
  let i = 0;
  const next = () => inputs[i++ % inputs.length] as object;
  const c = rateSync(() => {
    try {
      compiled.evaluate(next());
    } catch {
      // NotSure cases would go to the engine; the rate still counts the attempt
    }
  });
  const zs = await rate(() => decision.evaluate(next()));
  const zb = await rate(() => decision.evaluate(next()), 64);
  rows.push({ name: file.replace(/\.json$/, ''), compiled: c, zenSeq: zs, zenBatch: zb });
  console.log(`${file.padEnd(48)} compiled ${c.toFixed(0).padStart(8)}/s   zen ${zs.toFixed(0).padStart(6)}/s sequential, ${zb.toFixed(0).padStart(6)}/s 64 at a time   x${(c / zb).toFixed(1)} (vs batched)`);
}
const geo = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
console.log(
  `\n${rows.length} decisions; geometric mean: compiled ${geo(rows.map((r) => r.compiled)).toFixed(0)}/s, zen ${geo(rows.map((r) => r.zenSeq)).toFixed(0)}/s sequential, ` +
    `${geo(rows.map((r) => r.zenBatch)).toFixed(0)}/s batched; speed-up x${geo(rows.map((r) => r.compiled / r.zenBatch)).toFixed(1)} vs batched, ` +
    `x${geo(rows.map((r) => r.compiled / r.zenSeq)).toFixed(1)} vs sequential; slowest ratio x${Math.min(...rows.map((r) => r.compiled / r.zenBatch)).toFixed(1)}`,
);
