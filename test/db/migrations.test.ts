import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { connect, type Sql } from '../../src/db/connect.js';
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';

describe('migrations', () => {
  const adminUrl = inject('pgAdminUrl');
  const name = `m_${randomBytes(5).toString('hex')}`;
  let admin: Sql;
  let sql: Sql;

  beforeAll(async () => {
    admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    sql = connect(adminUrl.replace(/\/postgres$/, `/${name}`), { max: 5 });
  });

  afterAll(async () => {
    await sql.end();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('applies every migration once, even when nodes start together', async () => {
    const results = await Promise.all([migrate(sql), migrate(sql), migrate(sql)]);
    const applied = results.map((r) => r.applied.length).sort();
    expect(applied).toEqual([0, 0, loadMigrations().length]);
    const rows = await sql`SELECT id FROM verdict_migrations ORDER BY id`;
    expect(rows.map((r) => r.id)).toEqual(loadMigrations().map((m) => m.id));
    expect((await migrate(sql)).applied).toEqual([]);
  });

  it('refuses a schema newer than this build', async () => {
    await sql`INSERT INTO verdict_migrations (id, name, checksum) VALUES (999, 'from_the_future', 'x')`;
    try {
      await expect(migrate(sql)).rejects.toThrow(/newer than this build knows/);
    } finally {
      await sql`DELETE FROM verdict_migrations WHERE id = 999`;
    }
  });

  it('refuses a migration that changed after it was applied', async () => {
    const changed = loadMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'different' } : m));
    await expect(migrate(sql, changed)).rejects.toThrow(/was changed after it was applied/);
  });

  it('rolls back a failing migration and leaves earlier ones applied', async () => {
    const migrations = [
      ...loadMigrations(),
      { id: loadMigrations().length + 1, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT 1/0;', checksum: 'c' },
    ];
    await expect(migrate(sql, migrations)).rejects.toThrow(/broken failed: division by zero/);
    const [row] = await sql<{ present: boolean }[]>`SELECT to_regclass('half_done') IS NOT NULL AS present`;
    expect(row!.present).toBe(false);
  });
});
