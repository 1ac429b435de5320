/**
 * zen-engine in-process: `concurrency` loops evaluating one cached decision for `seconds`.
 * Prints one JSON line: { rps, p50, p99 } (latencies in ms). Run as a child so it can be pinned.
 * Usage: node --import tsx bench/zen-throughput.ts file.json '<context json>' concurrency seconds
 */
import { readFileSync } from 'node:fs';
import { ZenEngine } from '@gorules/zen-engine';
import { percentile } from './lib.js';

const [file, contextJson, concurrencyArg, secondsArg] = process.argv.slice(2) as [string, string, string, string];
const engine = new ZenEngine();
const decision = engine.createDecision(JSON.parse(readFileSync(file, 'utf8')));
const context = JSON.parse(contextJson) as object;
const concurrency = Number(concurrencyArg);
const until = performance.now() + Number(secondsArg) * 1000;
for (let i = 0; i < 200; i++) await decision.evaluate(context); // warm-up
const latencies: number[] = [];
const start = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const t = performance.now();
      await decision.evaluate(context);
      latencies.push(performance.now() - t);
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }));
engine.dispose();
