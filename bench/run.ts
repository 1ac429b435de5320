import { benchControlPlane } from './control-plane.js';
import { benchEvaluation, benchPropagation } from './evaluation.js';
import { benchPackages } from './packages.js';
import { benchFailover } from './failover.js';

// Benchmarks print numbers and ratios measured side by side in one run; they assert nothing.
// BENCH_SECONDS sets the length of each load run (default 5).
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
console.log(`# Verdict benchmarks (${new Date().toISOString()}, node ${process.version})`);
await benchEvaluation(seconds);
await benchPropagation();
await benchControlPlane();
await benchPackages();
await benchFailover();
