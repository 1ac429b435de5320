import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { drStatusBoth, stableLines } from '../helpers/dr-status.js';
import { labFor } from '../helpers/lab.js';

/**
 * The quick topology check in `npm test`: `dr status --topology <lab>/topology.yaml` answers as
 * `dr status --dir <lab>` does. test/dr/labs/topology.test.ts (`npm run test:dr`) goes on to a lost
 * primary, a promotion and a topology without local details.
 */
describe('dr status --topology on the file a lab writes', () => {
  const lab = labFor(2, 'topology-status');

  it('names the same primary and standbys, with the same exit code, as the lab form', async () => {
    const [byLab, byFile] = await drStatusBoth(lab.dir(), lab.state().adminToken);
    expect(byLab.code, byLab.stdout + byLab.stderr).toBe(0);
    expect(byFile.code, byFile.stdout + byFile.stderr).toBe(0);
    expect(byFile.stdout).toMatch(/^primary: region-1 \(timeline 1, cluster generation 1\)$/m);
    expect(stableLines(byFile.stdout)).toEqual(stableLines(byLab.stdout));
    expect(stableLines(byFile.stdout)).toContain('region-2 standby 1');
  });

  // A restored server holds its backup's generation; the real restore runs in npm run test:patroni.
  it('dr promote --after-restore raises the generation above what every node has seen and --generation-above', async () => {
    const options = { url: 'http://127.0.0.1:9', cwd: lab.dir(), env: { VERDICT_TOKEN: lab.state().adminToken } };
    const topology = path.join(lab.dir(), 'topology.yaml');
    const raised = await runCli(['dr', 'promote', '--after-restore', '--topology', topology, '--region', 'region-1', '--generation-above', '4'], options);
    expect(raised.code, raised.stdout + raised.stderr).toBe(0);
    expect(raised.stdout).toMatch(/^region-1: cluster generation 1 \(restored\) -> 5, above every one seen$/m);
    const nodes = lab.state().regions.flatMap((r) => r.nodes).length;
    expect(raised.stdout.match(/had seen generation 1$/gm)).toHaveLength(nodes);

    // Never lower: without a floor it still goes up by one.
    const again = await runCli(['dr', 'promote', '--after-restore', '--topology', topology, '--region', 'region-1', '--json'], options);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ region: 'region-1', restoredGeneration: 5, generation: 6 });

    const [, status] = await drStatusBoth(lab.dir(), lab.state().adminToken);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^primary: region-1 \(timeline 1, cluster generation 6\)$/m);
  });
});
