import { defineConfig } from 'vitest/config';

/**
 * `npm run test:dr`: the disaster-recovery scenarios on real multi-region labs. Each builds its own
 * lab; they run one file at a time (a lab is several PostgreSQL servers and Verdict nodes, and a
 * 2-core machine runs one at a time well), with room for a busy machine.
 */
export default defineConfig({
  test: {
    include: ['test/dr/labs/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
