import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { LocalPgCluster } from '../../src/local-pg/index.js';

export interface ReplicatedPair {
  readonly primary: LocalPgCluster;
  readonly standby: LocalPgCluster;
  readonly database: string;
  /** postgres://...@primary,standby/db: the writer URL a node in any region is given. */
  readonly writerUrl: string;
  url(cluster: LocalPgCluster): string;
  /** Waits until the standby has replayed everything the primary has written. */
  caughtUp(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A migrated primary and a streaming standby of it (slot, pg_basebackup -R), made by local-pg. */
export async function startReplicatedPair(options: { durable?: boolean } = {}): Promise<ReplicatedPair> {
  const root = mkdtempSync(path.join(tmpdir(), 'verdict-repl-'));
  chmodSync(root, 0o755);
  const durable = options.durable ?? true;
  const primary = new LocalPgCluster({ dir: path.join(root, 'a'), durable });
  let standby: LocalPgCluster | undefined;
  const cleanup = async () => {
    await standby?.stop('immediate').catch(() => undefined);
    await primary.stop('immediate').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await primary.init();
    await primary.start();
    const admin = connect(primary.url(), { max: 1 });
    await admin.unsafe('CREATE DATABASE verdict');
    await admin.end();
    const sql = connect(primary.url('verdict'), { max: 1 });
    await migrate(sql);
    await sql.end();
    standby = await primary.createStandby({ dir: path.join(root, 'b'), slot: 'region_b', durable });
    await standby.start();
  } catch (error) {
    await cleanup();
    throw error;
  }
  const b = standby;
  const url = (cluster: LocalPgCluster) => cluster.url('verdict');
  return {
    primary,
    standby: b,
    database: 'verdict',
    writerUrl: `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${b.port}/verdict`,
    url,
    async caughtUp() {
      const p: Sql = connect(url(primary), { max: 1 });
      const s: Sql = connect(url(b), { max: 1 });
      try {
        const [{ lsn }] = (await p`SELECT pg_current_wal_insert_lsn()::text AS lsn`) as unknown as [{ lsn: string }];
        for (let i = 0; i < 500; i++) {
          const [row] = await s<{ done: boolean }[]>`SELECT pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn AS done`;
          if (row!.done) return;
          await sleep(20);
        }
        throw new Error('the standby did not catch up within 10 s');
      } finally {
        await p.end();
        await s.end();
      }
    },
    cleanup,
  };
}
