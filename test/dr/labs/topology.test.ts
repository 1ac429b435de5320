import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { labKill } from '../../../src/lab/lab.js';
import { loadTopology, writeTopology } from '../../../src/topology/load.js';
import { runCli } from '../../helpers/cli.js';
import { drStatusBoth, stableLines, stableStatus } from '../../helpers/dr-status.js';
import { labFor } from '../../helpers/lab.js';

/**
 * The DR commands on a topology file: the lab's own topology.yaml answers as the lab does, in
 * health and after a loss; a copy without local details is refused, before anything is touched,
 * by the actions that need the server's files; the lab keeps its file current across a promotion.
 */
describe('dr on a topology file', () => {
  const lab = labFor(2, 'dr-topology');
  const cli = (...args: string[]) => runCli(args, { url: 'http://127.0.0.1:9', cwd: lab.dir() });
  const remoteCopy = () => {
    // As a topology of remote servers would be: no local details anywhere.
    const topology = loadTopology(path.join(lab.dir(), 'topology.yaml'));
    const file = path.join(lab.dir(), 'remote.yaml');
    writeTopology(file, { ...topology, regions: topology.regions.map((r) => ({ ...r, postgres: { url: r.postgres.url, standbyName: r.postgres.standbyName } })) });
    return file;
  };

  it('answers as the lab form while the lab is whole, in text and JSON', async () => {
    const yaml = readFileSync(path.join(lab.dir(), 'topology.yaml'), 'utf8');
    expect(yaml).toMatch(/^primary: region-1$/m);
    expect(yaml).toMatch(/^ {2}mode: sync$/m);
    expect(yaml).toMatch(/dataDir: .*region-2/);

    const [byLab, byFile] = await drStatusBoth(lab.dir(), lab.state().adminToken);
    expect([byLab.code, byFile.code], byFile.stdout + byFile.stderr).toEqual([0, 0]);
    expect(stableLines(byFile.stdout)).toEqual(stableLines(byLab.stdout));
    const [jsonLab, jsonFile] = await drStatusBoth(lab.dir(), lab.state().adminToken, '--json');
    expect(stableStatus(jsonFile.stdout)).toEqual(stableStatus(jsonLab.stdout));
    expect(stableStatus(jsonFile.stdout)).toMatchObject({ health: 'ok', primary: 'region-1', fleet: [['region-1-a', 'region-1'], ['region-2-a', 'region-2']] });
  });

  it('refuses rejoin and a switchover on a topology without local details, saying what is missing, and changes nothing', async () => {
    const file = remoteCopy();
    const rejoin = await cli('dr', 'rejoin', '--topology', file, '--region', 'region-2');
    expect(rejoin.code).toBe(1);
    expect(rejoin.stderr).toMatch(/^verdict: rejoin .* needs region-2's server files, and the topology gives none \(regions\[1\]\.postgres\.local: dataDir, port, binDir\)/m);
    const promote = await cli('dr', 'promote', '--topology', file, '--region', 'region-2');
    expect(promote.code).toBe(1);
    expect(promote.stderr).toMatch(/^verdict: a switchover .* needs region-1's server files, and the topology gives none \(regions\[0\]\.postgres\.local/m);
    const status = await cli('dr', 'status', '--topology', file, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ health: 'ok', primary: 'region-1', fleetError: 'no admin token to ask a node' });

    const both = await cli('dr', 'status', '--topology', file, '--dir', lab.dir());
    expect(both.code).toBe(2);
    writeFileSync(file, 'regions:\n  - name: eu\n');
    const bad = await cli('dr', 'status', '--topology', file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`verdict: ${file}: regions[0].postgres: missing\n`);
  });

  it('answers as the lab form when the primary is lost (exit 5), and follows the lab after a promotion', async () => {
    await labKill(lab.dir(), 'region-1');
    const [byLab, byFile] = await drStatusBoth(lab.dir(), lab.state().adminToken);
    expect([byLab.code, byFile.code], byFile.stdout + byFile.stderr).toEqual([5, 5]);
    expect(stableLines(byFile.stdout)).toEqual(stableLines(byLab.stdout));
    expect(byFile.stdout).toMatch(/^primary: NONE reachable$/m);

    const promoted = await cli('dr', 'promote', '--dir', lab.dir(), '--confirm-old-primary-lost');
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
    expect(loadTopology(path.join(lab.dir(), 'topology.yaml')).primary).toBe('region-2');
    const [afterLab, afterFile] = await drStatusBoth(lab.dir(), lab.state().adminToken);
    expect([afterLab.code, afterFile.code]).toEqual([0, 0]);
    expect(afterFile.stdout).toMatch(/^primary: region-2 \(timeline 2, cluster generation 2\)$/m);
    expect(stableLines(afterFile.stdout)).toEqual(stableLines(afterLab.stdout));
  });
});
