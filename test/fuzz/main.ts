/**
 * `npm run test:fuzz`: the full fuzz run against a real `verdict serve`, with its own PostgreSQL
 * (a throw-away cluster made by Verdict's local-pg code, removed afterwards).
 *
 *   FUZZ_CASES (default 10000)  FUZZ_SEED (default: random; printed, reproduces a run)
 *   FUZZ_LOG (a file: every case and its answer, one JSON line each)
 *
 * Progress goes to stderr; the per-entry-point summary, every failure and, last, the line
 * `fuzz: <N> cases, <X> 5xx, <H> hangs, <C> crashes` go to stdout. Exits 1 on any 5xx, hang,
 * crash or oracle failure.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { LocalPgCluster } from '../../src/local-pg/index.js';
import { formatSummary, runFuzz } from './run.js';

const cases = Number(process.env.FUZZ_CASES ?? 10_000);
const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
  console.error('FUZZ_CASES must be a positive integer and FUZZ_SEED an integer');
  process.exit(2);
}
console.error(`fuzz: ${cases} cases, seed ${seed} (FUZZ_SEED=${seed} reproduces this run)`);

const root = mkdtempSync(path.join(tmpdir(), 'verdict-fuzz-'));
chmodSync(root, 0o755); // the postgres OS user must be able to enter it when running as root
const cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable: false });
let stopping: Promise<void> | undefined;
const cleanup = () =>
  (stopping ??= (async () => {
    await cluster.stop('immediate').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`fuzz: ${signal}; stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  await cluster.init();
  await cluster.start();
  const admin = connect(cluster.url('postgres'), { max: 1 });
  await admin.unsafe('CREATE DATABASE verdict_fuzz');
  await admin.end();
  const databaseUrl = cluster.url('verdict_fuzz');
  const sql = connect(databaseUrl, { max: 2 });
  try {
    await migrate(sql);
    const summary = await runFuzz({ cases, seed, databaseUrl, sql, workDir: root, progress: (line) => console.error(line), caseLog: process.env.FUZZ_LOG });
    console.log(formatSummary(summary));
    console.log(`fuzz: ${summary.cases} cases, ${summary.fiveXx} 5xx, ${summary.hangs} hangs, ${summary.crashes} crashes`);
    exitCode = summary.failures.length === 0 && summary.cases >= cases ? 0 : 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
} catch (error) {
  console.error(`fuzz: the run could not complete: ${(error as Error)?.stack ?? String(error)}`);
  console.log(`fuzz: 0 cases, 0 5xx, 0 hangs, 0 crashes`);
} finally {
  await cleanup();
}
process.exit(exitCode);
