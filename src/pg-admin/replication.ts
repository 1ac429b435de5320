import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from '../db/connect.js';

export type ReplicationMode = 'sync' | 'async' | 'quorum';

export interface ReplicationSetting {
  readonly mode: ReplicationMode;
  /** How many standbys must confirm a commit (sync: the first N listed; quorum: any N). */
  readonly standbys: number;
}

export interface StandbyState {
  readonly name: string;
  readonly syncState: string;
  readonly replayLsn: string | null;
}

export interface ReplicationReport {
  /** What was asked, and what was applied (async when no standby can confirm: see `degraded`). */
  readonly requested: ReplicationSetting;
  readonly applied: ReplicationSetting;
  readonly synchronousStandbyNames: string;
  readonly synchronousCommit: string;
  readonly standbys: readonly StandbyState[];
  /** Set when the mode could not be honoured as asked. */
  readonly degraded: string | undefined;
}

const NAME = /^[a-z0-9_]{1,63}$/;

/** The `synchronous_standby_names` value for a mode over the given standby names, in preference order. */
export function synchronousStandbyNames(setting: ReplicationSetting, names: readonly string[]): string {
  if (setting.mode === 'async' || names.length === 0) return '';
  for (const name of names) if (!NAME.test(name)) throw new Error(`standby name '${name}' must be lower-case letters, digits or _`);
  const count = Math.min(setting.standbys, names.length);
  return `${setting.mode === 'sync' ? 'FIRST' : 'ANY'} ${count} (${names.join(', ')})`;
}

/**
 * The setting a `synchronous_standby_names` value expresses: `FIRST n (...)` or the bare list
 * (PostgreSQL reads it as FIRST 1, or `n (...)` as FIRST n), `ANY n (...)`, or empty (async).
 */
export function parseSynchronousStandbyNames(value: string): ReplicationSetting {
  const text = value.trim();
  if (text === '') return { mode: 'async', standbys: 0 };
  const counted = /^(?:(FIRST|ANY)\s+)?(\d+)\s*\(/i.exec(text);
  if (!counted) return { mode: 'sync', standbys: 1 };
  return { mode: counted[1]?.toUpperCase() === 'ANY' ? 'quorum' : 'sync', standbys: Math.max(1, Number(counted[2])) };
}

/**
 * Sets the primary's replication mode (ALTER SYSTEM + reload: no restart) and waits until the
 * standbys show the expected `sync_state`. With fewer connected standbys than asked, sync and
 * quorum wait for the ones that exist (fewer confirmations), and with none at all the primary
 * becomes async rather than refusing every write: reported as `degraded`.
 */
export async function setReplicationMode(primary: Sql, requested: ReplicationSetting, names: readonly string[], timeoutMs = 10_000): Promise<ReplicationReport> {
  if (requested.mode !== 'async' && requested.standbys < 1) throw new Error(`--standbys must be at least 1 for ${requested.mode} replication`);
  const connected = await primary<{ name: string }[]>`SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'`;
  const present = names.filter((n) => connected.some((c) => c.name === n));
  let applied: ReplicationSetting = requested;
  let degraded: string | undefined;
  if (requested.mode !== 'async') {
    if (names.length === 0) {
      applied = { mode: 'async', standbys: 0 };
      degraded = `no standby to confirm commits: running async`;
    } else if (present.length < requested.standbys) {
      degraded = `${requested.standbys} confirming standby(s) asked, ${present.length} streaming now (${present.join(', ') || 'none'}): commits wait until enough connect`;
    }
  }
  const value = synchronousStandbyNames(applied, names);
  await primary.unsafe(`ALTER SYSTEM SET synchronous_standby_names = '${value}'`);
  // `on`: a commit returns once the confirming standbys have flushed it (it survives the primary).
  await primary.unsafe(`ALTER SYSTEM SET synchronous_commit = 'on'`);
  await primary`SELECT pg_reload_conf()`;
  const expected = applied.mode === 'sync' ? 'sync' : applied.mode === 'quorum' ? 'quorum' : 'async';
  const started = Date.now();
  for (;;) {
    const [settings] = await primary<{ names: string; commit: string }[]>`
      SELECT current_setting('synchronous_standby_names') AS names, current_setting('synchronous_commit') AS commit`;
    const standbys = await primary<StandbyState[]>`
      SELECT application_name AS name, sync_state, replay_lsn::text AS replay_lsn FROM pg_stat_replication ORDER BY application_name`;
    const confirming = standbys.filter((s) => s.syncState === expected).length;
    // Each walsender picks up the new setting on its own: wait until none of the named standbys
    // still reports the old state, so the report shows what the mode is, not a moment of change.
    const named = standbys.filter((s) => present.includes(s.name));
    const settled =
      settings!.names === value &&
      (applied.mode === 'async'
        ? standbys.every((s) => s.syncState === 'async')
        : confirming >= Math.min(applied.standbys, present.length) && named.every((s) => s.syncState !== 'async'));
    if (settled || Date.now() - started > timeoutMs) {
      if (!settled) degraded ??= `the standbys did not report the expected sync_state '${expected}' within ${timeoutMs} ms`;
      return { requested, applied, synchronousStandbyNames: settings!.names, synchronousCommit: settings!.commit, standbys, degraded };
    }
    await sleep(100);
  }
}

/** A physical slot keeps the WAL a standby still needs, even while it is down. */
export async function ensureSlot(sql: Sql, name: string): Promise<void> {
  await sql`SELECT pg_create_physical_replication_slot(${name}) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ${name})`;
}
