/**
 * A decision compiled to JavaScript (src/compiled), in-process: evaluations of one context in a
 * loop for `seconds`, the way zen-throughput.ts measures zen-engine. Prints one JSON line:
 * { rps, p50, p99 } (latencies in ms). Run as a child so it can be pinned to a core.
 * Usage: node --import tsx bench/compiled-throughput.ts file.json '<context json>' seconds
 */
import { readFileSync } from 'node:fs';
import { percentile } from './lib.js';
import type * as CompiledModule from '../src/compiled/index.js';

// The build's JavaScript (npm run bench builds first), as the server runs it: tsx's transform
// wraps every closure in a naming helper, which costs as much as a small graph's walk.
const { compileGraph } = (await import(new URL('../dist/compiled/index.js', import.meta.url).href)) as typeof CompiledModule;

const [file, contextJson, secondsArg] = process.argv.slice(2) as [string, string, string];
const compiled = compileGraph(JSON.parse(readFileSync(file, 'utf8')), () => undefined);
if (compiled.kind !== 'compiled') throw new Error(`${file} does not compile: ${compiled.reasons.join('; ')}`);
const context = JSON.parse(contextJson) as object;
for (let i = 0; i < 2_000; i++) compiled.evaluate(context); // warm up the JIT
const latencies: number[] = [];
const until = performance.now() + Number(secondsArg) * 1000;
const start = performance.now();
// Timed in groups of 20: one evaluation is a few µs, close to the timer's own cost.
while (performance.now() < until) {
  const t = performance.now();
  for (let i = 0; i < 20; i++) compiled.evaluate(context);
  const each = (performance.now() - t) / 20;
  for (let i = 0; i < 20; i++) latencies.push(each);
}
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }));
