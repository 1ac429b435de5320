import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../src/dr/drill/drill.js';
import { runCli } from './helpers/cli.js';

/**
 * Short drills on real labs (built and torn down by the drill itself): the primary region is
 * killed under load and the most advanced standby promoted.
 */
describe('dr drill', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'verdict-drill-test-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('loses no acknowledged write and no evaluation in surviving regions with sync replication (active-active)', async () => {
    const run = await runCli(
      ['dr', 'drill', '--duration', '8', '--regions', '3', '--concurrency', '1', '--write-rate', '10', '--no-fsync', '--json', 'report.json', '--html', 'report.html'],
      { url: 'http://127.0.0.1:9', cwd: work },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/PASS {2}RPO: 0 of \d+ acknowledged writes lost/);
    const report = JSON.parse(readFileSync(path.join(work, 'report.json'), 'utf8'));
    expect(report.passed).toBe(true);
    expect(report.writes.acknowledged).toBeGreaterThan(10);
    expect(report.writes.lost).toEqual([]);
    expect(report.writes.duplicates).toEqual([]);
    expect(report.writes.rtoMs).toBeGreaterThan(0);
    expect(report.promotion).toMatchObject({ promoted: expect.stringMatching(/^region-[23]$/), oldPrimary: 'region-1', generation: 2 });
    const surviving = report.evaluations.filter((e: { killed: boolean }) => !e.killed);
    expect(surviving).toHaveLength(2);
    for (const region of surviving) {
      expect(region.requests).toBeGreaterThan(0);
      expect(region.errors).toBe(0);
    }
    expect(report.evaluations.find((e: { killed: boolean }) => e.killed).errorsAfterKill).toBeGreaterThan(0);
    expect(report.propagation.ms).toBeGreaterThan(0);
    const html = readFileSync(path.join(work, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('PASSED');
    expect(html).toContain('kill region-1');
  });

  it('reports honest figures with async replication, and fails over the front (active-passive)', async () => {
    const report = await runDrill({
      regions: 2,
      nodesPerRegion: 1,
      topology: 'active-passive',
      replication: { mode: 'async', standbys: 0 },
      durationS: 6,
      concurrency: 1,
      writesPerSecond: 10,
      durable: false,
    });
    expect(report.config.replication.mode).toBe('async');
    expect(report.checks.find((c) => c.name === 'RPO')).toMatchObject({ ok: true, detail: expect.stringMatching(/async replication: measured, not guaranteed/) });
    expect(report.writes.duplicates).toEqual([]);
    // Only the active region took traffic: region-2 none before the kill, all of it after.
    const region2 = report.series.filter((p) => p.region === 'region-2' && p.second * 1000 < report.kill.startedAtMs - 1000);
    expect(region2.every((p) => p.ok === 0 && p.errors === 0)).toBe(true);
    expect(report.evaluationDowntimeMs).toBeGreaterThan(0);
    expect(report.passed).toBe(true);
  });
});
