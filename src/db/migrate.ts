import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Sql } from './connect.js';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Same relative location from src/db (tsx) and dist/db (compiled). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new MigrationError(`migration file name ${file} does not match NNNN_name.sql`);
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return {
        id: Number(match[1]),
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.id - b.id);
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) throw new MigrationError(`migrations must be numbered 0001, 0002, ... without gaps; found ${m.id} at position ${i + 1}`);
  });
  return migrations;
}

export interface MigrateResult {
  readonly applied: readonly Migration[];
  readonly schemaVersion: number;
  /** True when connected to a standby: nothing was applied, only checked. */
  readonly readOnly: boolean;
}

// Any constant works; it only has to be the same for every Verdict node.
const LOCK_KEY = 7_140_512_001;

/**
 * Applies pending migrations under an advisory lock, each in its own transaction. On a standby it
 * only verifies the schema. Refuses a schema newer than this build or a changed applied migration.
 */
export async function migrate(sql: Sql, migrations = loadMigrations(), log: (msg: string) => void = () => undefined): Promise<MigrateResult> {
  const [recovery] = await sql<{ inRecovery: boolean }[]>`SELECT pg_is_in_recovery() AS in_recovery`;
  if (recovery?.inRecovery) {
    const version = await verifyKnown(sql, migrations);
    if (version < migrations.length) {
      throw new MigrationError(
        `the standby's schema is at version ${version} but this build needs ${migrations.length}; migrate the primary first`,
      );
    }
    return { applied: [], schemaVersion: version, readOnly: true };
  }
  const reserved = await sql.reserve();
  try {
    await reserved`SELECT pg_advisory_lock(${LOCK_KEY})`;
    try {
      await reserved`
        CREATE TABLE IF NOT EXISTS verdict_migrations (
          id integer PRIMARY KEY,
          name text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`;
      const applied = await verifyKnown(reserved, migrations);
      const pending = migrations.slice(applied);
      for (const migration of pending) {
        log(`applying migration ${String(migration.id).padStart(4, '0')}_${migration.name}`);
        await reserved.unsafe('BEGIN');
        try {
          await reserved.unsafe(migration.sql);
          await reserved`INSERT INTO verdict_migrations (id, name, checksum) VALUES (${migration.id}, ${migration.name}, ${migration.checksum})`;
          await reserved.unsafe('COMMIT');
        } catch (error) {
          await reserved.unsafe('ROLLBACK');
          throw new MigrationError(`migration ${migration.id}_${migration.name} failed: ${(error as Error).message}`);
        }
      }
      return { applied: pending, schemaVersion: migrations.length, readOnly: false };
    } finally {
      await reserved`SELECT pg_advisory_unlock(${LOCK_KEY})`;
    }
  } finally {
    reserved.release();
  }
}

/** Returns how many migrations the database has, after checking they are the ones this build knows. */
async function verifyKnown(sql: Sql, migrations: readonly Migration[]): Promise<number> {
  const [exists] = await sql<{ present: boolean }[]>`SELECT to_regclass('verdict_migrations') IS NOT NULL AS present`;
  if (!exists?.present) return 0;
  const rows = await sql<{ id: number; name: string; checksum: string }[]>`SELECT id, name, checksum FROM verdict_migrations ORDER BY id`;
  for (const row of rows) {
    const known = migrations[row.id - 1];
    if (!known) {
      throw new MigrationError(
        `the database schema is at version ${rows.length}, newer than this build knows (${migrations.length}); upgrade Verdict before starting it against this database`,
      );
    }
    if (known.checksum !== row.checksum) {
      throw new MigrationError(`migration ${row.id}_${row.name} was changed after it was applied to this database; migrations are forward-only`);
    }
  }
  return rows.length;
}
