import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../db/database.js';
import { compareLsn } from '../../db/database.js';
import type { ChangesService } from '../changes/service.js';
import type { EnvironmentsService } from '../environments/service.js';
import type { Fleet, FleetNode } from './schemas.js';
import { listNodes, upsertHeartbeat, type Heartbeat } from './store.js';

export interface WaitOutcome {
  readonly for: 'replicas' | 'fleet';
  readonly satisfied: boolean;
  readonly waitedMs: number;
  readonly checked: number;
  /** What had not caught up when the wait ended. */
  readonly pending: readonly string[];
}

const POLL_MS = 50;

/** Which release every node in every region serves, from the nodes' own heartbeats. */
export class FleetService {
  constructor(
    private readonly db: Database,
    private readonly environments: EnvironmentsService,
    private readonly changes: ChangesService,
  ) {}

  /** Best effort, through the primary (fenced like any write). */
  heartbeat(h: Heartbeat): Promise<void> {
    return this.db.transaction((tx) => upsertHeartbeat(tx, h), { idempotent: true });
  }

  async view(options: { project?: string | undefined; includeGone: boolean }): Promise<Fleet> {
    const [nodes, catalog, changeCounter] = await Promise.all([
      listNodes(this.db.read, options.includeGone),
      this.environments.catalog(this.db.read),
      this.changes.counter(this.db.read),
    ]);
    return {
      changeCounter,
      nodes,
      environments: catalog
        .filter((e) => options.project === undefined || e.projectKey === options.project)
        .map((e) => ({
          project: e.projectKey,
          environment: e.environmentKey,
          deployed: e.releaseId ? { releaseId: e.releaseId, releaseLabel: e.releaseLabel! } : null,
          nodes: nodes.map((n) => {
            const served = n.serving.find((s) => s.environmentId === e.environmentId);
            const inSync = (served?.releaseId ?? null) === e.releaseId;
            return { nodeId: n.nodeId, region: n.region, releaseLabel: served?.releaseLabel ?? null, status: n.stale ? 'stale' : inSync ? 'in-sync' : 'out-of-sync' } as const;
          }),
        })),
    };
  }

  /**
   * Waits until every standby of the primary has replayed `lsn`: those streaming now
   * (pg_stat_replication) and those that hold a physical replication slot but are not connected
   * (a standby that is down counts as pending, not as absent). Cascading standbys, which stream
   * from another standby, are not seen from the primary: `wait=fleet` covers their nodes.
   */
  async waitForReplicas(lsn: string, timeoutMs: number): Promise<WaitOutcome> {
    const started = Date.now();
    for (;;) {
      const writer = this.db.sql;
      const [streaming, slots] = await Promise.all([
        writer<{ name: string; replayLsn: string | null }[]>`
          SELECT coalesce(nullif(application_name, ''), client_addr::text, pid::text) AS name, replay_lsn::text AS replay_lsn
          FROM pg_stat_replication`,
        writer<{ slotName: string }[]>`SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active`,
      ]);
      const pending = [
        ...streaming.filter((r) => r.replayLsn === null || compareLsn(r.replayLsn, lsn) < 0).map((r) => `${r.name} at ${r.replayLsn ?? 'nothing replayed'}`),
        ...slots.map((s) => `slot ${s.slotName} (standby not connected)`),
      ];
      const waitedMs = Date.now() - started;
      if (pending.length === 0 || waitedMs >= timeoutMs) {
        return { for: 'replicas', satisfied: pending.length === 0, waitedMs, checked: streaming.length + slots.length, pending };
      }
      await sleep(POLL_MS);
    }
  }

  /** Waits until every live node reports serving `releaseId` in the environment. */
  async waitForFleet(environmentId: string, releaseId: string, timeoutMs: number): Promise<WaitOutcome> {
    const started = Date.now();
    for (;;) {
      const nodes: FleetNode[] = await listNodes(this.db.sql, false);
      const live = nodes.filter((n) => !n.stale);
      const pending = live
        .filter((n) => n.serving.find((s) => s.environmentId === environmentId)?.releaseId !== releaseId)
        .map((n) => `${n.nodeId} (${n.region})`);
      const waitedMs = Date.now() - started;
      if (pending.length === 0 || waitedMs >= timeoutMs) return { for: 'fleet', satisfied: pending.length === 0, waitedMs, checked: live.length, pending };
      await sleep(POLL_MS);
    }
  }

  /** The primary's WAL position now: at or after any commit acknowledged before this call. */
  async currentLsn(): Promise<string> {
    const [row] = await this.db.sql<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`;
    return row!.lsn;
  }
}
