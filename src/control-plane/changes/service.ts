import type { Queryable } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import { Type, type Static } from 'typebox';

export const ChangeEventSchema = Type.Object({
  seq: Type.Integer(),
  kind: Type.Union([Type.Literal('deployment'), Type.Literal('evaluation-token'), Type.Literal('environment')]),
  projectId: Type.String(),
  environmentId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type ChangeEvent = Static<typeof ChangeEventSchema>;
export type ChangeKind = ChangeEvent['kind'];

export const ChangesSchema = Type.Object({
  counter: Type.Integer({ description: 'Current value of the global change counter' }),
  events: Type.Array(ChangeEventSchema),
});

export const ChangesQuerySchema = Type.Object({
  since: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'Return events with a larger sequence number' }),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
});

/** Where a committed change is announced (NOTIFY is sent at commit, by the primary only). */
export const CHANGES_CHANNEL = 'verdict_changes';

/**
 * The global change counter nodes poll to learn that what they serve changed (NOTIFY does not
 * reach hot standbys). Every deployment and evaluation-token change bumps it in its own transaction.
 */
export class ChangesService {
  constructor(private readonly db: Database) {}

  async bump(tx: Queryable, kind: ChangeKind, projectId: string, environmentId: string): Promise<number> {
    const [row] = await tx<{ value: number }[]>`UPDATE change_counter SET value = value + 1 RETURNING value`;
    const seq = row!.value;
    await tx`INSERT INTO change_events (seq, kind, project_id, environment_id) VALUES (${seq}, ${kind}, ${projectId}, ${environmentId})`;
    // Delivered when (and only if) the transaction commits: nodes listening on the primary reload
    // at once instead of at their next poll. The payload is the counter value to wait for.
    await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${String(seq)})`;
    return seq;
  }

  async counter(q: Queryable = this.db.read): Promise<number> {
    const [row] = await q<{ value: number }[]>`SELECT value FROM change_counter`;
    return row!.value;
  }

  async since(seq: number, limit: number): Promise<{ counter: number; events: ChangeEvent[] }> {
    return this.db.read.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
      const counter = await this.counter(tx);
      const events = await this.eventsAfter(tx, seq, limit);
      return { counter, events: events.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })) };
    }) as Promise<{ counter: number; events: ChangeEvent[] }>;
  }

  eventsAfter(q: Queryable, seq: number, limit: number): Promise<(Omit<ChangeEvent, 'createdAt'> & { createdAt: Date })[]> {
    return q<(Omit<ChangeEvent, 'createdAt'> & { createdAt: Date })[]>`
      SELECT seq, kind, project_id, environment_id, created_at FROM change_events
      WHERE seq > ${seq} ORDER BY seq LIMIT ${limit}`;
  }
}
