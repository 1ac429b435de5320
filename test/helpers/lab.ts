import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { labDown, labUp } from '../../src/lab/lab.js';
import { readLabState, type LabState } from '../../src/lab/state.js';

/**
 * A lab (sync replication, one node per region, no fsync) in a temporary folder for a describe
 * block, torn down by pid afterwards, also when a test or the start fails.
 */
export function labFor(regions: number, prefix: string): { dir: () => string; state: () => LabState } {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), `verdict-${prefix}-`));
    chmodSync(dir, 0o755); // the postgres OS user must reach the data directories
    await labUp({ dir, regions, nodesPerRegion: 1, replication: { mode: 'sync', standbys: 1 }, topology: 'active-active', durable: false });
  });
  afterAll(async () => {
    if (!dir) return;
    await labDown(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir: () => dir!, state: () => readLabState(dir!) };
}
