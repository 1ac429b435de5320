import { benchControlPlane } from './control-plane.js';

// Benchmarks print numbers and ratios measured side by side in one run; they assert nothing.
console.log(`# Verdict benchmarks (${new Date().toISOString()}, node ${process.version})`);
await benchControlPlane();
