import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { excludedWithoutCorpus } from './test/setup/corpus-files.js';

/**
 * `npm test`: everything but the long disaster-recovery runs on multi-region labs (test/dr/labs/,
 * `npm run test:dr`); a short DR smoke (test/dr/smoke.test.ts) and a short chaos run stay in.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/dr/labs/**', '**/node_modules/**', ...excludedWithoutCorpus(fileURLToPath(new URL('.', import.meta.url)))],
    globalSetup: ['./test/global-setup.ts'],
    // Bounds for a stuck test, not for speed: tests wait on conditions, and a 2-core machine that
    // is busy with other work (a benchmark beside the suite) can take minutes for a lab or a browser.
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // Each test file gets its own database cloned from a migrated template, so files run in parallel.
    pool: 'forks',
    maxWorkers: 3,
  },
});
