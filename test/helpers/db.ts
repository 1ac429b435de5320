import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connect, type Sql } from '../../src/db/connect.js';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  readonly sql: Sql;
  drop(): Promise<void>;
}

/** A fresh, migrated database cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = connect(adminUrl, { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  const sql = connect(url, { max: 4 });
  return {
    url,
    name,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const dropper = connect(adminUrl, { max: 1 });
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Row counts of every Verdict table, to prove a refused request changed nothing. */
export async function rowCounts(sql: Sql): Promise<Record<string, number>> {
  const tables = [
    'projects', 'decisions', 'decision_versions', 'releases', 'release_decisions', 'environments',
    'deployments', 'change_events', 'evaluation_tokens', 'api_tokens', 'audit_log',
  ];
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const [row] = await sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${t}`);
    counts[t] = row!.n;
  }
  return counts;
}
