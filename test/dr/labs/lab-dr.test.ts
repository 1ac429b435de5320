import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect } from '../../../src/db/connect.js';
import { changeReplication, promoteRegion, rejoinRegion } from '../../../src/drill/lab-dr.js';
import { drStatus } from '../../../src/dr/status.js';
import { runDrill } from '../../../src/drill/drill.js';
import { labDown, labKill, labStart, labStatus, labUp } from '../../../src/lab/lab.js';
import { drRegions, nodeUrl, postgresUrl, readLabState, type LabState } from '../../../src/lab/state.js';
import { runCli } from '../../helpers/cli.js';

describe('the DR lab on real streaming replication', () => {
  let dir: string;
  let state: LabState;

  const api = async (region: number, method: string, route: string, body?: unknown) => {
    const node = readLabState(dir).regions[region - 1]!.nodes[0]!;
    const response = await fetch(`${nodeUrl(node)}${route}`, {
      method,
      headers: { authorization: `Bearer ${state.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const projectsOn = async (region: number): Promise<string[]> => {
    const sql = connect(postgresUrl(state, state.regions[region - 1]!), { max: 1 });
    try {
      return (await sql<{ key: string }[]>`SELECT key FROM projects ORDER BY key`).map((r) => r.key);
    } finally {
      await sql.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'verdict-lab-'));
    chmodSync(dir, 0o755); // the postgres OS user must reach the data directories
    ({ state } = await labUp({ dir, regions: 3, nodesPerRegion: 1, replication: { mode: 'sync', standbys: 1 }, topology: 'active-active', durable: false }));
  });
  afterAll(async () => {
    await labDown(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a primary, two streaming standbys and a node per region, and shows them all', async () => {
    const { processes } = await labStatus(dir);
    expect(processes.filter((p) => p.running)).toHaveLength(6);
    expect(processes.filter((p) => p.what.startsWith('node')).every((p) => p.ready)).toBe(true);

    const status = await drStatus(drRegions(state), state.adminToken);
    expect(status.primary).toBe('region-1');
    expect(status.replication).toMatchObject({ mode: 'sync', synchronousStandbyNames: 'FIRST 1 (region_2, region_3)' });
    expect(status.servers.map((s) => [s.region, s.role, s.syncState, s.timeline, s.generation])).toEqual([
      ['region-1', 'primary', null, 1, 1],
      ['region-2', 'standby', 'sync', 1, 1],
      ['region-3', 'standby', 'potential', 1, 1],
    ]);
    expect(status.rpoExposure).toMatchObject({ acknowledgedCommitsAtRisk: false });
    expect(status.fleet?.nodes.map((n) => n.region).sort()).toEqual(['region-1', 'region-2', 'region-3']);

    const cli = await runCli(['dr', 'status', '--dir', dir], { url: nodeUrl(state.regions[0]!.nodes[0]!), token: state.adminToken, cwd: dir });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/primary: region-1 \(timeline 1, cluster generation 1\)/);
    expect(cli.stdout).toMatch(/region-2\s+standby\s+1\s+1\s+\S+\s+127\.0\.0\.1:\d+\s+sync/);
  });

  it('switches the replication mode and verifies what the standbys report', async () => {
    const quorum = await changeReplication(dir, { mode: 'quorum', standbys: 1 });
    expect(quorum.synchronousStandbyNames).toBe('ANY 1 (region_2, region_3)');
    expect(quorum.standbys.map((s) => s.syncState)).toEqual(['quorum', 'quorum']);
    const async = await changeReplication(dir, { mode: 'async', standbys: 0 });
    expect(async.standbys.map((s) => s.syncState)).toEqual(['async', 'async']);
    expect((await drStatus(drRegions(state), undefined)).rpoExposure).toMatchObject({ acknowledgedCommitsAtRisk: true });
    const sync = await changeReplication(dir, { mode: 'sync', standbys: 1 });
    expect(sync.standbys.map((s) => s.syncState)).toEqual(['sync', 'potential']);
  });

  it('promotes only with confirmation when the primary is lost, keeps every acknowledged write, and rejoins the old primary', async () => {
    expect((await api(2, 'POST', '/api/projects', { key: 'before-loss' })).status).toBe(201);
    await labKill(dir, 'region-1');
    await expect(promoteRegion(dir)).rejects.toThrow(/--confirm-old-primary-lost/);

    const report = await promoteRegion(dir, { confirmOldPrimaryLost: true });
    expect(report).toMatchObject({ promoted: 'region-2', oldPrimary: 'region-1', generation: 2, timeline: 2, oldPrimaryFence: 'confirmed lost by the operator' });
    expect(report.standbys).toEqual([{ region: 'region-3', outcome: 'following' }]);
    expect(report.replication.synchronousStandbyNames).toBe('FIRST 1 (region_3)');
    expect(await projectsOn(2)).toContain('before-loss'); // acknowledged under sync replication: not lost

    const afterward = await api(3, 'POST', '/api/projects', { key: 'after-promotion' });
    expect(afterward.status, JSON.stringify(afterward.body)).toBe(201);

    const rejoined = await rejoinRegion(dir, 'region-1');
    expect(['pg_rewind', 'base backup']).toContain(rejoined.method);
    const status = await drStatus(drRegions(readLabState(dir)), state.adminToken);
    expect(status.servers.map((s) => [s.region, s.role, s.timeline, s.generation])).toEqual([
      ['region-1', 'standby', 2, 2],
      ['region-2', 'primary', 2, 2],
      ['region-3', 'standby', 2, 2],
    ]);
    expect(status.servers.find((s) => s.region === 'region-1')).toMatchObject({ streaming: true, syncState: 'sync' });
    expect((await labStatus(dir)).processes.every((p) => p.running)).toBe(true);
  });

  it('switches over to a reachable primary without losing a write (fence, hand over, promote)', async () => {
    expect((await api(1, 'POST', '/api/projects', { key: 'before-switchover' })).status).toBe(201);
    const report = await promoteRegion(dir, { region: 'region-1' });
    expect(report).toMatchObject({ promoted: 'region-1', oldPrimary: 'region-2', generation: 3, oldPrimaryFence: 'stopped after handing over its WAL' });
    expect(await projectsOn(1)).toEqual(expect.arrayContaining(['before-loss', 'after-promotion', 'before-switchover']));
    await expect(promoteRegion(dir, { region: 'region-3', confirmOldPrimaryLost: true })).resolves.toMatchObject({ promoted: 'region-3', generation: 4 });
  });

  it('rewinds old primaries right after a promotion, cycle after cycle, instead of copying everything', async () => {
    // region-3 was promoted a moment ago: its control file still names the old timeline until its
    // first checkpoint, which made pg_rewind compute the fork on the wrong timeline.
    const first = await rejoinRegion(dir, 'region-1');
    expect(first.method, first.failedAttempts?.join('; ')).toBe('pg_rewind');
    expect((await rejoinRegion(dir, 'region-2')).method).toBe('pg_rewind');
    expect((await api(3, 'POST', '/api/projects', { key: 'before-third-loss' })).status).toBe(201);
    await labKill(dir, 'region-3');
    const drillOn = { dir, regions: 3, nodesPerRegion: 1, topology: 'active-active', durationS: 5, concurrency: 1, writesPerSecond: 5 } as const;
    await expect(runDrill(drillOn)).rejects.toThrow(/the lab is not whole \(region-3 postgres \(primary\) stopped, region-3 node region-3-a stopped\): the primary region is down: promote another/);
    const report = await promoteRegion(dir, { confirmOldPrimaryLost: true });
    expect(report.generation).toBe(5);
    await labStart(dir, 'region-3'); // the old primary comes back writable
    await expect(runDrill(drillOn)).rejects.toThrow(/region-3 runs as a primary besides region-[12]: make it a standby first/);
    expect((await rejoinRegion(dir, 'region-3')).method).toBe('pg_rewind');
    const status = await drStatus(drRegions(readLabState(dir)), undefined);
    expect(status.writable).toEqual([report.promoted]);
    expect(new Set(status.servers.map((s) => s.timeline))).toEqual(new Set([report.timeline]));
    expect(status.servers.filter((s) => s.role === 'standby').every((s) => s.streaming)).toBe(true);
    const promotedIndex = Number(report.promoted.slice(-1));
    expect(await projectsOn(promotedIndex)).toContain('before-third-loss');

    // A standby that was only killed needs no rewind (pg_rewind refuses it) and no copy.
    const standby = status.servers.find((s) => s.role === 'standby')!.region;
    await labKill(dir, standby);
    expect((await api(promotedIndex, 'POST', '/api/projects', { key: 'while-a-standby-is-down' })).status).toBe(201);
    const restarted = await rejoinRegion(dir, standby);
    expect(restarted.method, restarted.failedAttempts?.join('; ')).toBe('restart');
    await vi.waitFor(async () => expect(await projectsOn(Number(standby.slice(-1)))).toContain('while-a-standby-is-down'), { timeout: 10_000, interval: 100 });
  });
});
