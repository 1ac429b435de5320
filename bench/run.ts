import { benchControlPlane } from './control-plane.js';
import { benchEvaluation, benchPropagation } from './evaluation.js';
import { benchPackages } from './packages.js';
import { benchFailover } from './failover.js';
import { benchDr } from './dr.js';
import { benchHostile } from './hostile.js';
import { benchConsole } from './console.js';

// Benchmarks print numbers and ratios measured side by side in one run; they assert nothing.
// BENCH_SECONDS sets the length of each load run (default 5); BENCH_ONLY=dr,failover runs some.
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const sections: Record<string, () => Promise<void>> = {
  evaluation: () => benchEvaluation(seconds),
  propagation: () => benchPropagation(),
  hostile: () => benchHostile(seconds),
  'control-plane': () => benchControlPlane(),
  packages: () => benchPackages(),
  failover: () => benchFailover(),
  dr: () => benchDr(),
  console: () => benchConsole(),
};
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((name) => !(name in sections)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown BENCH_ONLY section(s): ${unknown.join(', ')}; choose from ${Object.keys(sections).join(', ')}`);
  process.exit(2);
}
console.log(`# Verdict benchmarks (${new Date().toISOString()}, node ${process.version})`);
for (const [name, run] of Object.entries(sections)) if (!only || only.includes(name)) await run();
