import { describe, expect, it } from 'vitest';
import { connect } from '../../../src/db/connect.js';
import { promoteRegion, rejoinRegion } from '../../../src/drill/lab-dr.js';
import { drStatus } from '../../../src/dr/status.js';
import { labKill, labStart } from '../../../src/lab/lab.js';
import { drRegions, findRegion, postgresUrl } from '../../../src/lab/state.js';
import { runCli } from '../../helpers/cli.js';
import { labFor } from '../../helpers/lab.js';

/**
 * What `dr status` names the primary and how it exits, one lab per situation: an old primary
 * that came back writable after a promotion (fenced), no primary at all, and two writable servers
 * of the same generation (split brain).
 */

const drStatusCli = (dir: string, ...extra: string[]) => runCli(['dr', 'status', '--dir', dir, ...extra], { url: 'http://127.0.0.1:9', cwd: dir });

describe('dr status after an old primary comes back writable', () => {
  const lab = labFor(3, 'dr-status');

  it('names the server with the newest generation the primary, shows its replication settings, and reports the old one FENCED (exit 7)', async () => {
    await labKill(lab.dir(), 'region-1');
    const promoted = await promoteRegion(lab.dir(), { region: 'region-3', confirmOldPrimaryLost: true });
    expect(promoted).toMatchObject({ promoted: 'region-3', generation: 2 });
    await labStart(lab.dir(), 'region-1'); // writable again, generation 1, FIRST 1 (region_2, region_3)

    const cli = await drStatusCli(lab.dir());
    expect(cli.code, cli.stdout + cli.stderr).toBe(7);
    expect(cli.stdout).toMatch(/^primary: region-3 \(timeline 2, cluster generation 2\)$/m);
    expect(cli.stdout).toMatch(/^FENCED: region-1 \(generation 1\) writable with a generation older than 2/m);
    expect(cli.stdout).toMatch(/synchronous_standby_names = 'FIRST 1 \(region_2\)'/);
    expect(cli.stdout).not.toMatch(/SPLIT BRAIN/);
    expect(cli.stdout).toMatch(/^region-1\s+FENCED\s/m);
    expect(cli.stderr).toMatch(/^verdict: fenced: region-1 \(generation 1\) writable besides the primary region-3; make it a standby with verdict dr rejoin --region region-1$/m);

    const status = await drStatus(drRegions(lab.state()), undefined);
    expect(status).toMatchObject({ health: 'fenced', primary: 'region-3', writable: ['region-1', 'region-3'], fenced: ['region-1'], splitBrain: [], highestGeneration: 2 });
    // region-3's own settings: only region-2 follows it.
    expect(status.replication).toMatchObject({ mode: 'sync', synchronousStandbyNames: 'FIRST 1 (region_2)' });
    expect(status.slots.map((s) => s.name)).toContain('region_2');
    expect(status.servers.map((s) => [s.region, s.role, s.fenced, s.generation])).toEqual([
      ['region-1', 'primary', true, 1],
      ['region-2', 'standby', false, 2],
      ['region-3', 'primary', false, 2],
    ]);

    // A promotion now would leave the stale server writable: it says what to do first.
    await expect(promoteRegion(lab.dir(), { region: 'region-2' })).rejects.toThrow(/region-1 is writable with a cluster generation older than region-3's .*verdict dr rejoin --region region-1/);
  });

  it('exits 0 once the old primary is a standby again', async () => {
    await rejoinRegion(lab.dir(), 'region-1', { restartNodes: false });
    const cli = await drStatusCli(lab.dir());
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^primary: region-3 /m);
    expect(cli.stdout).not.toMatch(/FENCED|SPLIT BRAIN/);
    expect(cli.stderr).toBe('');
  });
});

describe('dr status with no primary', () => {
  const lab = labFor(2, 'dr-status');

  it('exits 5 when no writable server answers, in text and in JSON', async () => {
    await labKill(lab.dir(), 'region-1');
    const text = await drStatusCli(lab.dir());
    expect(text.code, text.stdout + text.stderr).toBe(5);
    expect(text.stdout).toMatch(/^primary: NONE reachable$/m);
    expect(text.stderr).toMatch(/^verdict: no primary: /m);

    const json = await drStatusCli(lab.dir(), '--json');
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout)).toMatchObject({ health: 'no-primary', primary: null, writable: [], fenced: [], splitBrain: [] });
  });
});

describe('dr status in a split brain', () => {
  const lab = labFor(2, 'dr-status');

  it('exits 6 when two writable servers share the highest generation, and names neither the primary', async () => {
    // A promotion that never bumped the generation: what `dr promote` exists to prevent.
    const standby = connect(postgresUrl(lab.state(), findRegion(lab.state(), 'region-2')), { max: 1 });
    try {
      await standby`SELECT pg_promote(wait => true)`;
    } finally {
      await standby.end();
    }
    const status = await drStatus(drRegions(lab.state()), undefined);
    expect(status).toMatchObject({ health: 'split-brain', primary: null, writable: ['region-1', 'region-2'], fenced: [], splitBrain: ['region-1', 'region-2'] });

    const cli = await drStatusCli(lab.dir());
    expect(cli.code, cli.stdout + cli.stderr).toBe(6);
    expect(cli.stdout).toMatch(/^primary: NONE \(split brain\)$/m);
    expect(cli.stdout).toMatch(/^SPLIT BRAIN: region-1, region-2 are writable with the same cluster generation 1/m);
    expect(cli.stderr).toMatch(/^verdict: split brain: region-1, region-2 /m);
    await expect(promoteRegion(lab.dir(), { region: 'region-2' })).rejects.toThrow(/resolve the split brain/);
  });
});
