import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { formatSummary, runFuzz } from './run.js';

/**
 * The fuzzer (test/fuzz, `npm run test:fuzz` for the full 10,000 cases) on a short run: a few hundred
 * generated requests against the real `verdict serve` binary and a fresh database. A random seed
 * each run (FUZZ_SEED reproduces one; FUZZ_SHORT_CASES changes the count): every failure is
 * printed with its request and the seed.
 */
const CASES = Number(process.env.FUZZ_SHORT_CASES ?? 250);
const SEED = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);

describe('fuzz (short run)', () => {
  let db: TestDatabase | undefined;
  const workDir = mkdtempSync(path.join(tmpdir(), 'verdict-fuzz-'));
  chmodSync(workDir, 0o755);
  afterAll(async () => {
    await db?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it(`answers ${CASES} generated requests without a 5xx, hang, crash or oracle failure`, async () => {
    // npm test runs on shared machines, beside other suites or a benchmark: here a hang is no answer
    // in 30 s, and "the machine is busy, retry" (503) is the designed answer to overload. The full
    // run (`npm run test:fuzz`, on a quiet machine) keeps issue 10's 5 s and counts those 503s.
    process.env.FUZZ_HANG_MS ??= '30000';
    process.env.FUZZ_BUSY_IS_DESIGNED ??= '1';
    db = await createTestDatabase();
    const summary = await runFuzz({ cases: CASES, seed: SEED, databaseUrl: db.url, sql: db.sql, workDir, progress: () => undefined });
    const report = `${formatSummary(summary)}\nfuzz: ${summary.cases} cases, ${summary.fiveXx} 5xx, ${summary.hangs} hangs, ${summary.crashes} crashes`;
    expect(summary.failures, report).toEqual([]);
    expect(summary.cases, report).toBe(CASES);
  }, 600_000);
});
