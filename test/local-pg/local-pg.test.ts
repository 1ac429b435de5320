import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/wait.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Sql } from '../../src/db/connect.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { LocalPgCluster, findPgBinaries, isAlive, resolveDataDir, startEmbeddedPostgres } from '../../src/local-pg/index.js';
import { securePrivateDir } from '../../src/local-pg/data-dir.js';

describe('local PostgreSQL component', () => {
  let root: string;
  const clusters: LocalPgCluster[] = [];

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'verdict-localpg-'));
    chmodSync(root, 0o755);
  });

  afterAll(async () => {
    for (const c of clusters.reverse()) await c.stop('immediate').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('finds server binaries', () => {
    const bins = findPgBinaries();
    expect(bins.binDir).toMatch(/bin$/);
  });

  it('refuses an explicit VERDICT_PG_BIN without server binaries', () => {
    expect(() => findPgBinaries({ VERDICT_PG_BIN: root })).toThrow(/VERDICT_PG_BIN/);
  });

  it('creates, starts, streams to a standby, and stops by PID', async () => {
    const primary = new LocalPgCluster({ dir: path.join(root, 'primary'), durable: false });
    clusters.push(primary);
    await primary.init();
    await primary.start();
    const pid = primary.runningPid();
    expect(pid).toBeGreaterThan(0);

    const standby = await primary.createStandby({ dir: path.join(root, 'standby'), slot: 'standby_a', durable: false });
    clusters.push(standby);
    await standby.start();

    const writer = connect(primary.url(), { max: 1 });
    const reader = connect(standby.url(), { max: 1 });
    try {
      await writer`CREATE TABLE t (id int PRIMARY KEY)`;
      await writer`INSERT INTO t VALUES (1), (2), (3)`;
      await waitForReplay(writer, reader);
      const [row] = await reader<{ n: number; standby: boolean }[]>`SELECT count(*)::int AS n, pg_is_in_recovery() AS standby FROM t`;
      expect(row).toEqual({ n: 3, standby: true });
      const slots = await writer<{ slotName: string; active: boolean }[]>`SELECT slot_name, active FROM pg_replication_slots`;
      expect(slots).toEqual([{ slotName: 'standby_a', active: true }]);

      // A node connected to a standby never migrates: it only checks the schema the primary has.
      await expect(migrate(reader)).rejects.toThrow(/migrate the primary first/);
      const onPrimary = await migrate(writer);
      expect(onPrimary.applied.length).toBe(loadMigrations().length);
      await waitForReplay(writer, reader);
      const onStandby = await migrate(reader);
      expect(onStandby).toMatchObject({ readOnly: true, applied: [], schemaVersion: loadMigrations().length });
    } finally {
      await writer.end();
      await reader.end();
    }

    const standbyPid = standby.runningPid()!;
    await standby.stop();
    await primary.stop();
    expect(isAlive(standbyPid)).toBe(false);
    expect(isAlive(pid!)).toBe(false);
    expect(primary.runningPid()).toBeUndefined();
  });

  it('refuses to initialise a non-empty directory that is not a cluster', async () => {
    const dir = path.join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    await expect(new LocalPgCluster({ dir }).init()).rejects.toThrow(/not empty/);
  });

  it('reports why start-up failed', async () => {
    const cluster = new LocalPgCluster({ dir: path.join(root, 'broken'), durable: false, settings: { shared_buffers: 'lots' } });
    clusters.push(cluster);
    await cluster.init();
    await expect(cluster.start()).rejects.toThrow(/shared_buffers/);
    expect(cluster.runningPid()).toBeUndefined();
  });

  it('moves an embedded cluster made by an older version to an owner role without superuser, and makes its folder private', async () => {
    // What versions before the owner role left: the database and every object owned by the
    // superuser, the data folder 755, the server log 644.
    const dataDir = path.join(root, 'older', '.verdict');
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(path.join(dataDir, 'pg.password'), 'older-superuser-password', { mode: 0o600 });
    writeFileSync(path.join(dataDir, 'pg.log'), '', { mode: 0o644 });
    chmodSync(path.join(dataDir, 'pg.log'), 0o644);
    const older = new LocalPgCluster({ dir: path.join(dataDir, 'pg'), durable: false, password: 'older-superuser-password' });
    clusters.push(older);
    await older.init();
    await older.start();
    const setup = connect(older.url(), { max: 1 });
    await setup.unsafe('CREATE DATABASE verdict');
    await setup.end();
    const asSuperuser = connect(older.url('verdict'), { max: 1 });
    await migrate(asSuperuser);
    await asSuperuser`INSERT INTO projects (key, name, created_by) VALUES ('older', 'Older', 'test')`;
    await asSuperuser.end();
    await older.stop();

    const embedded = await startEmbeddedPostgres({ dir: path.join(dataDir, 'pg') });
    const sql = connect(embedded.url, { max: 1 });
    try {
      expect(new URL(embedded.url).username).toBe('verdict');
      const [me] = await sql<{ user: string; superuser: boolean }[]>`SELECT current_user AS user, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
      expect(me).toEqual({ user: 'verdict', superuser: false });
      // Everything works as the owner: the schema check, reads, writes, and the DDL later migrations do.
      expect((await migrate(sql)).applied).toEqual([]);
      await sql`INSERT INTO projects (key, name, created_by) VALUES ('newer', 'Newer', 'test')`;
      expect((await sql<{ key: string }[]>`SELECT key FROM projects ORDER BY key`).map((p) => p.key)).toEqual(['newer', 'older']);
      await sql`ALTER TABLE projects ADD COLUMN later_migration text`;
      const owners = await sql<{ owner: string }[]>`
        SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace
        UNION SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'public'::regnamespace`;
      expect(owners.map((o) => o.owner)).toEqual(['verdict']);
      // The superuser still exists for setup, behind its password; nothing else reaches it.
      await expect(sql`SELECT pg_read_file('PG_VERSION')`).rejects.toThrow(/permission denied/);
    } finally {
      await sql.end();
      await embedded.stop();
    }
    expect(statSync(dataDir).mode & 0o777).toBe(process.getuid?.() === 0 ? 0o710 : 0o700);
    expect(statSync(path.join(dataDir, 'pg.log')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dataDir, 'pg.verdict.password')).mode & 0o777).toBe(0o600);
  });

  it('never makes a shared folder such as /tmp private', () => {
    const shared = path.join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => securePrivateDir(shared)).toThrow(/is a shared folder; set VERDICT_DATA_DIR/);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });

  it.runIf(process.getuid?.() === 0)('moves a data directory the postgres user cannot reach to the temp folder', () => {
    const locked = path.join(root, 'locked');
    mkdirSync(locked, { mode: 0o700 });
    chmodSync(locked, 0o700);
    const resolved = resolveDataDir(path.join(locked, 'pg'));
    expect(resolved.relocatedBecause).toMatch(/cannot reach/);
    expect(resolved.dir.startsWith(tmpdir())).toBe(true);
    expect(resolveDataDir(path.join(locked, 'pg')).dir).toBe(resolved.dir); // stable between runs
    expect(resolveDataDir(path.join(root, 'reachable')).relocatedBecause).toBeUndefined();
  });
});

// The insert position, not pg_current_wal_lsn(): with synchronous_commit off the commit record may not be written yet.
async function waitForReplay(writer: Sql, reader: Sql): Promise<void> {
  const [current] = await writer<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`;
  await waitFor('the standby to replay', async () => {
    const [row] = await reader<{ done: boolean }[]>`SELECT pg_last_wal_replay_lsn() >= ${current!.lsn}::pg_lsn AS done`;
    return row!.done;
  }, 60_000);
}
