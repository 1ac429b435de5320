import { describe, expect, it } from 'vitest';
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
});
