import { describe, expect, it } from 'vitest';
import { runDrill } from '../../src/drill/drill.js';

/**
 * The DR smoke in `npm test`: the smallest drill that proves the promise end to end (a 2-region lab
 * on synchronous replication, the primary region killed under load, the standby promoted, every
 * acknowledged write checked). The full scenarios are in test/dr/labs/ (`npm run test:dr`) and the
 * fault-injection suite (`npm run test:chaos`).
 */
describe('disaster-recovery smoke', () => {
  it('loses no acknowledged write when the primary region is lost (sync, active-active)', { timeout: 300_000 }, async () => {
    const report = await runDrill({
      regions: 2,
      nodesPerRegion: 1,
      topology: 'active-active',
      replication: { mode: 'sync', standbys: 1 },
      durationS: 4,
      concurrency: 1,
      writesPerSecond: 10,
      durable: false,
    });
    expect(report.writes.acknowledged).toBeGreaterThan(0);
    expect(report.writes.lost).toEqual([]);
    expect(report.writes.duplicates).toEqual([]);
    expect(report.promotion).toMatchObject({ promoted: 'region-2', oldPrimary: 'region-1', generation: 2 });
    const surviving = report.evaluations.find((e) => !e.killed)!;
    expect(surviving.requests).toBeGreaterThan(0);
    expect(surviving.errors).toBe(0);
    expect(report.passed).toBe(true);
  });
});
