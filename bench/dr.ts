import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changeReplication } from '../src/drill/lab-dr.js';
import { runDrill, servedEverywhere } from '../src/drill/drill.js';
import { createDrillProject } from '../src/drill/project.js';
import { call } from '../src/drill/http.js';
import { labDown, labUp } from '../src/lab/lab.js';
import { nodeUrl, type LabState } from '../src/lab/state.js';
import { fmt, percentile, printTable } from './lib.js';

/**
 * Replication modes side by side on one 3-region lab (fsync on): the latency of a deploy as the
 * client sees it (its commit waits for a standby's flush in sync mode), and propagation, from the
 * deploy's acknowledgement until every node in every region serves the release. Interleaved
 * rounds, so both modes see the same machine. Then a few short drills for RTO figures.
 */
export async function benchDr(rounds = 3, deploysPerRound = 30, drillsPerMode = 3): Promise<void> {
  console.log('\n## Replication modes: deploy latency and propagation to every region (3 regions, fsync on)');
  const dir = mkdtempSync(path.join(tmpdir(), 'verdict-bench-dr-'));
  chmodSync(dir, 0o755);
  const results = { sync: { deploy: [] as number[], propagation: [] as number[] }, async: { deploy: [] as number[], propagation: [] as number[] } };
  try {
    const { state } = await labUp({ dir, regions: 3, nodesPerRegion: 1, replication: { mode: 'sync', standbys: 1 }, topology: 'active-active', durable: true });
    const { deployPath, evalPath, token, nodes } = await setUp(state);
    let release = 'one';
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['sync', 'async'] as const) {
        await changeReplication(dir, mode === 'sync' ? { mode: 'sync', standbys: 1 } : { mode: 'async', standbys: 0 });
        for (let i = 0; i < deploysPerRound; i++) {
          release = release === 'one' ? 'two' : 'one';
          const started = performance.now();
          const deployed = await call(`${nodes[0]}${deployPath}`, { method: 'POST', headers: { authorization: `Bearer ${state.adminToken}` }, body: { release }, timeoutMs: 10_000 });
          const acked = performance.now();
          if (!deployed.ok) throw new Error(`deploy failed: ${deployed.status ?? deployed.error}`);
          results[mode].deploy.push(acked - started);
          // How long until every node in every region serves it (nodes are woken by NOTIFY from the
          // primary and re-read their standby until it has replayed the deploy; the poll is 250 ms).
          await servedEverywhere(nodes, evalPath, token, release, 30_000);
          results[mode].propagation.push(performance.now() - acked);
        }
      }
    }
  } finally {
    await labDown(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (mode: 'sync' | 'async') => {
    const d = [...results[mode].deploy].sort((a, b) => a - b);
    const p = [...results[mode].propagation].sort((a, b) => a - b);
    return {
      mode,
      deploys: d.length,
      'deploy p50 ms': fmt(percentile(d, 50), 1),
      'deploy p95 ms': fmt(percentile(d, 95), 1),
      'propagation p50 ms': fmt(percentile(p, 50)),
      'propagation p99 ms': fmt(percentile(p, 99)),
      'propagation max ms': fmt(p.at(-1) ?? NaN),
    };
  };
  printTable([row('sync'), row('async')]);
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  console.log(`sync/async deploy latency (p50): ${fmt(median(results.sync.deploy) / median(results.async.deploy), 2)}`);

  console.log(`\n## Drills: kill the primary region under load, promote (3 regions, fsync on, ${drillsPerMode} runs of 12 s per mode, alternating)`);
  const drillRows = [];
  for (let i = 0; i < drillsPerMode * 2; i++) {
    const mode = i % 2 === 0 ? ('sync' as const) : ('async' as const);
    const replication = { mode, standbys: mode === 'sync' ? 1 : 0 };
    const report = await runDrill({ regions: 3, nodesPerRegion: 1, topology: 'active-active', replication, durationS: 12, concurrency: 2, writesPerSecond: 20, durable: true });
    const surviving = report.evaluations.filter((e) => !e.killed);
    drillRows.push({
      run: i + 1,
      mode,
      'kill ms': report.kill.atMs - report.kill.startedAtMs,
      'promotion ms': report.promotion.totalMs,
      'write RTO ms (from kill start)': report.writes.rtoMs ?? '-',
      'longest write gap ms': report.writes.longestGapMs,
      'acked writes': report.writes.acknowledged,
      lost: report.writes.lost.length,
      duplicates: report.writes.duplicates.length,
      'surviving eval errors': surviving.reduce((n, e) => n + e.errors, 0),
      'surviving evals': surviving.reduce((n, e) => n + e.requests, 0),
      'propagation ms': report.propagation.ms ?? '-',
    });
  }
  printTable(drillRows);
}

async function setUp(state: LabState) {
  const nodes = state.regions.flatMap((r) => r.nodes.map(nodeUrl));
  const project = await createDrillProject(nodes[0]!, state.adminToken, 'bench', ['one', 'two']);
  await servedEverywhere(nodes, project.evalPath, project.token, 'one', 60_000);
  return { ...project, nodes };
}
