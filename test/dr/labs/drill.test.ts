import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../src/db/connect.js';
import { checkWrites } from '../../../src/drill/check.js';
import { runDrill } from '../../../src/drill/drill.js';
import { createDrillProject } from '../../../src/drill/project.js';
import { WriteStream } from '../../../src/drill/write-stream.js';
import { promoteRegion } from '../../../src/drill/lab-dr.js';
import { labDown, labKill, labUp } from '../../../src/lab/lab.js';
import { nodeUrl, postgresUrl } from '../../../src/lab/state.js';
import { runCli } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait.js';

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

/**
 * The checker against a real loss: async replication, the standby cut off from the primary while
 * deploys keep being acknowledged, then the primary region lost and the standby promoted. What
 * the standby never received must be reported lost, and nothing it did receive.
 */
describe('the drill checker with async replication', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'verdict-loss-'));
    chmodSync(dir, 0o755); // the postgres OS user must reach the data directories
  });
  afterAll(async () => {
    await labDown(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports exactly the acknowledged writes the promoted standby never received', async () => {
    const { state } = await labUp({ dir, regions: 2, nodesPerRegion: 1, replication: { mode: 'async', standbys: 0 }, topology: 'active-active', durable: false });
    const [primary, standby] = state.regions;
    const node = nodeUrl(primary!.nodes[0]!);
    const { deployPath } = await createDrillProject(node, state.adminToken, 'loss', ['one', 'two']);

    const startedAt = performance.now();
    const writes = new WriteStream(() => [node], {
      path: deployPath, adminToken: state.adminToken, releases: ['one', 'two'], perSecond: 20, startedAt, giveUpMs: 2000,
    });
    const primarySql = connect(postgresUrl(state, primary!), { max: 1 });
    const standbySql = connect(postgresUrl(state, standby!), { max: 1 });
    try {
      writes.start();
      await waitFor('deploys acknowledged before the cut', () => writes.log.filter((w) => w.ackAt !== null).length > 5, 60_000);
      // Cut replication: the standby stops receiving (an empty primary_conninfo stops its WAL receiver).
      const cutStartedAt = performance.now() - startedAt;
      await standbySql.unsafe(`ALTER SYSTEM SET primary_conninfo = ''`);
      await standbySql`SELECT pg_reload_conf()`;
      await waitFor('the standby to stop receiving', async () => (await primarySql`SELECT 1 FROM pg_stat_replication`).length === 0);
      const cutAt = performance.now() - startedAt;
      await waitFor('deploys acknowledged after the cut', () => writes.log.filter((w) => w.ackAt !== null && w.startedAt > cutAt).length > 5, 60_000);
      await writes.stop();
      await labKill(dir, primary!.name);
      await promoteRegion(dir, { confirmOldPrimaryLost: true });

      const check = await checkWrites(postgresUrl(state, standby!), writes.log);
      const acked = writes.log.filter((w) => w.ackAt !== null);
      const before = acked.filter((w) => w.ackAt! < cutStartedAt).map((w) => w.id);
      const after = acked.filter((w) => w.startedAt > cutAt).map((w) => w.id);
      expect(before.length).toBeGreaterThan(5);
      expect(after.length).toBeGreaterThan(5);
      expect(check.lost).toEqual(expect.arrayContaining(after));
      expect(check.lost.filter((id) => before.includes(id))).toEqual([]);
      expect(check.duplicates).toEqual([]);
    } finally {
      await writes.stop();
      await primarySql.end({ timeout: 1 });
      await standbySql.end({ timeout: 1 });
    }
  });
});
