import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Sql } from '../../../src/db/connect.js';
import { compareLsn } from '../../../src/db/database.js';
import { promoteRegion } from '../../../src/drill/lab-dr.js';
import { labDown, labUp } from '../../../src/lab/lab.js';
import { findRegion, postgresUrl, readLabState, type LabState } from '../../../src/lab/state.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * Planned switchover while the primary keeps writing. region-3 streams from region-1 through a
 * proxy, which either holds its WAL back (a distant region: always a little behind while writes
 * go on) or swallows it (a link that went silent). region-2 is the synchronous standby.
 */
describe('dr promote with a live primary', () => {
  let dir: string | undefined;
  let proxy: TcpProxy | undefined;
  const open: Sql[] = [];
  const state = (): LabState => readLabState(dir!);
  const sqlFor = (region: string): Sql => {
    const sql = connect(postgresUrl(state(), findRegion(state(), region)), { max: 1 });
    open.push(sql);
    return sql;
  };

  /** Points region-3's WAL receiver at the proxy and waits until it streams through it. */
  const streamThroughProxy = async () => {
    const region3 = sqlFor('region-3');
    await region3.unsafe(`ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=${proxy!.port} user=postgres application_name=region_3'`);
    await region3`SELECT pg_reload_conf()`;
    await waitFor('region-3 streaming through the proxy', async () => {
      const [row] = await region3<{ status: string | null; port: number | null }[]>`SELECT status, sender_port AS port FROM pg_stat_wal_receiver`;
      return row?.status === 'streaming' && row.port === proxy!.port;
    }, 30_000);
  };
  const receivedOn = async (region: string): Promise<string> => {
    const [row] = await sqlFor(region)<{ lsn: string }[]>`SELECT pg_last_wal_receive_lsn()::text AS lsn`;
    return row!.lsn;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'verdict-switchover-'));
    chmodSync(dir, 0o755); // the postgres OS user must reach the data directories
    await labUp({ dir, regions: 3, nodesPerRegion: 1, replication: { mode: 'sync', standbys: 1 }, topology: 'active-active', durable: false });
    proxy = new TcpProxy({ host: '127.0.0.1', port: findRegion(state(), 'region-1').postgres.port });
    proxy.delayMs = 300;
    await proxy.start();
    await streamThroughProxy();
    await sqlFor('region-1')`CREATE TABLE switchover_writes (n int PRIMARY KEY)`;
  });
  afterAll(async () => {
    await Promise.all(open.map((sql) => sql.end({ timeout: 1 }).catch(() => undefined)));
    await proxy?.stop();
    if (dir) {
      await labDown(dir, { purge: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lifts the fence again when the target cannot receive the old primary\'s last WAL, and says so', async () => {
    proxy!.pause();
    try {
      // Acknowledged by region-2 (sync), never seen by region-3.
      await sqlFor('region-1')`INSERT INTO switchover_writes VALUES (0)`;
      await expect(promoteRegion(dir!, { region: 'region-3', catchUpTimeoutMs: 3_000 })).rejects.toThrow(
        /no standby received the old primary's final WAL position \S+ within 3000 ms \(region-3 has \S+\): switching over would lose writes/,
      );
    } finally {
      proxy!.resume(); // ends the stalled connection; region-3 reconnects through the proxy
    }
    // The switchover did not happen: region-1 is the primary and takes writes again.
    expect(state().primaryRegion).toBe('region-1');
    const fresh = sqlFor('region-1');
    await fresh`INSERT INTO switchover_writes VALUES (-1)`;
    expect((await fresh<{ ro: string }[]>`SELECT current_setting('default_transaction_read_only') AS ro`)[0]!.ro).toBe('off');
    await streamThroughProxy();
  });

  it('switches over to a standby that lags a writing primary: fenced first, it catches up, nothing is lost', async () => {
    const writer = sqlFor('region-1');
    let acknowledged = 0;
    let stopped = false;
    // Writes go on until the fence ends the session: each commit is confirmed by region-2 only.
    const writes = (async () => {
      for (let n = 1; !stopped; n++) {
        try {
          await writer`INSERT INTO switchover_writes VALUES (${n})`;
          acknowledged = n;
        } catch {
          return;
        }
      }
    })();
    try {
      // Under load region-3 is 300 ms of WAL behind region-2 whenever anyone looks.
      await waitFor('writes under way with region-3 behind region-2', async () => acknowledged >= 50 && compareLsn(await receivedOn('region-3'), await receivedOn('region-2')) < 0, 30_000);
      const report = await promoteRegion(dir!, { region: 'region-3' });
      expect(report).toMatchObject({ promoted: 'region-3', oldPrimary: 'region-1', generation: 2, oldPrimaryFence: 'stopped after handing over its WAL' });
      expect(report.standbys).toEqual([{ region: 'region-2', outcome: 'following' }]);
    } finally {
      stopped = true;
      await writes;
    }
    expect(acknowledged).toBeGreaterThanOrEqual(50);
    const [row] = await sqlFor('region-3')<{ count: number; max: number }[]>`SELECT count(*)::int AS count, max(n) AS max FROM switchover_writes WHERE n > 0`;
    expect(row!.max).toBeGreaterThanOrEqual(acknowledged);
    expect(row!.count).toBe(row!.max); // every write, in order, none missing
  });
});
