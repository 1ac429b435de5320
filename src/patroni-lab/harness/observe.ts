import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../../db/connect.js';
import { withTimeout } from '../../db/with-timeout.js';
import { getClusterFromAny } from '../../patroni/client.js';
import { leaderOf } from '../../patroni/cluster.js';
import type { EvaluationSample } from '../../drill/evaluation-load.js';
import type { WriteRecord } from '../../drill/write-stream.js';
import { restUrlsOf, type RegionPlan } from '../plan.js';
import { waitFor } from '../wait.js';

/** Milliseconds since the harness's clock started (the loads use the same origin). */
export type Clock = () => number;

/** Waits until the region's leader is running as primary and is not `oldLeader`; returns when (clock ms). */
export async function newLeaderAt(region: RegionPlan, oldLeader: string | undefined, clock: Clock, timeoutMs: number): Promise<{ at: number; name: string; timeline: number | null }> {
  return waitFor(
    `${region.name}: a new leader running as primary`,
    async (note) => {
      const { cluster } = await getClusterFromAny(restUrlsOf(region), { timeoutMs: 1000 });
      const leader = leaderOf(cluster);
      note(leader ? `${leader.name} ${leader.role} ${leader.state}` : 'no leader');
      return leader && leader.name !== oldLeader && leader.role === 'leader' && leader.state === 'running' ? { at: clock(), name: leader.name, timeline: leader.timeline } : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Waits until a write started after `from` was acknowledged; returns the first such acknowledgement (clock ms). */
export async function firstAckAfter(log: readonly WriteRecord[], from: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const acks = log.filter((w) => w.startedAt >= from && w.ackAt !== null).map((w) => w.ackAt!);
    if (acks.length > 0) return Math.min(...acks);
    if (performance.now() > deadline) throw new Error(`no write started after ${Math.round(from)} ms was acknowledged within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export interface WindowErrors {
  readonly region: string;
  readonly requests: number;
  readonly errors: number;
  /** Errors in the first `detectionMs` after the fault: the front may not have noticed yet. */
  readonly errorsInDetection: number;
  readonly errorKinds: Readonly<Record<string, number>>;
}

/** Evaluations seen through the front between `from` and `to`, per client region. */
export function evaluationErrors(samples: readonly EvaluationSample[], regions: readonly string[], from: number, to: number, detectionMs: number): WindowErrors[] {
  return regions.map((region) => {
    const mine = samples.filter((s) => s.region === region && s.t >= from && s.t <= to);
    const failed = mine.filter((s) => !s.ok);
    const errorKinds: Record<string, number> = {};
    for (const s of failed) errorKinds[s.error ?? 'error'] = (errorKinds[s.error ?? 'error'] ?? 0) + 1;
    return { region, requests: mine.length, errors: failed.length, errorsInDetection: failed.filter((s) => s.t < from + detectionMs).length, errorKinds };
  });
}

/** What writes that waited in `[from, to]` were told before they got through: each distinct error once, with a count. */
export function writeErrorsBetween(log: readonly WriteRecord[], from: number, to: number): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const w of log) {
    if (w.startedAt < from || w.startedAt > to || w.attempts < 2 || w.lastError === null) continue;
    const key = w.lastError.slice(0, 160);
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

/**
 * Tries a write transaction (`SELECT txid_current()`, which a standby or a read-only server
 * refuses; its commit waits for the synchronous standby) through a region's HAProxy writer every
 * 100 ms, with a 3 s deadline (commits slow down on a loaded 2-core machine), and records the
 * periods in which it failed: the database's own write gap as any client of that listener lives
 * it (Patroni's /primary stays 200 while a leader demotes, so it would understate the gap).
 */
export class WriteWatch {
  readonly #gaps: { from: number; to: number | null; reasons: Set<string> }[] = [];
  #running = true;
  readonly #loop: Promise<void>;

  constructor(url: string, private readonly clock: Clock) {
    this.#loop = this.#run(url);
  }

  async #run(url: string): Promise<void> {
    let sql = connect(url, { max: 1, connectTimeoutSeconds: 2 });
    while (this.#running) {
      const failure = await withTimeout(sql`SELECT txid_current()`, 3000).then(
        () => undefined,
        (error: Error) => (error.name === 'DeadlineError' ? 'no commit within 3 s' : ((error as { code?: string }).code ?? error.message)),
      );
      const now = this.clock();
      const open = this.#gaps.at(-1);
      if (failure === undefined) {
        if (open && open.to === null) open.to = now;
      } else {
        if (!open || open.to !== null) this.#gaps.push({ from: now, to: null, reasons: new Set() });
        this.#gaps.at(-1)!.reasons.add(failure.slice(0, 80));
        // A new connection next time: through HAProxy it may reach the new leader.
        void sql.end({ timeout: 0 }).catch(() => undefined);
        sql = connect(url, { max: 1, connectTimeoutSeconds: 2 });
      }
      await sleep(100);
    }
    await sql.end({ timeout: 0 }).catch(() => undefined);
  }

  /** The longest failing period within `[from, to]` (a standby cluster fails until promoted: counted from `from`). */
  longestGapBetween(from: number, to: number): number {
    return Math.round(this.#gaps.reduce((max, g) => Math.max(max, Math.min(g.to ?? to, to) - Math.max(g.from, from)), 0));
  }

  /** What the probe was told during the failing periods within `[from, to]`. */
  reasonsBetween(from: number, to: number): string[] {
    return [...new Set(this.#gaps.filter((g) => (g.to ?? to) >= from && g.from <= to).flatMap((g) => [...g.reasons]))];
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

/** When the longest time without an acknowledged write in `[from, to]` ended (the ack that closed it). */
export function endOfLongestWriteGap(log: readonly WriteRecord[], from: number, to: number): number | null {
  const acks = [from, ...log.filter((w) => w.ackAt !== null && w.ackAt > from && w.ackAt <= to).map((w) => w.ackAt!)].sort((a, b) => a - b);
  let best: { gap: number; end: number } | null = null;
  for (let i = 1; i < acks.length; i++) if (!best || acks[i]! - acks[i - 1]! > best.gap) best = { gap: acks[i]! - acks[i - 1]!, end: acks[i]! };
  return best?.end ?? null;
}

/** The longest time without an acknowledged write in `[from, to]` (edges included). */
export function longestWriteGap(log: readonly WriteRecord[], from: number, to: number): number {
  const acks = [from, ...log.filter((w) => w.ackAt !== null && w.ackAt >= from && w.ackAt <= to).map((w) => w.ackAt!), to].sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < acks.length; i++) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
  return Math.round(gap);
}

/** The slowest evaluation (ms) in `[from, to]`, any region. */
export function slowestEvaluation(samples: readonly EvaluationSample[], from: number, to: number): number {
  return Math.round(samples.filter((s) => s.t >= from && s.t <= to).reduce((max, s) => Math.max(max, s.ms), 0));
}

/** When Patroni wrote `promoted self to leader` in a member's log after `afterWallMs` (its log's times are the machine's UTC). */
export function patroniPromotedAt(logFile: string, afterWallMs: number): number | null {
  for (const line of readLines(logFile)) {
    const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3}) INFO: promoted self to leader/.exec(line);
    if (!match) continue;
    const at = Date.parse(`${match[1]}T${match[2]}.${match[3]}Z`);
    if (at > afterWallMs) return at;
  }
  return null;
}

/** For each node log, when it first logged `writing to this primary` after `afterWallMs`. */
export function nodesFollowedAt(logFiles: readonly string[], afterWallMs: number): number[] {
  return logFiles.flatMap((file) => {
    for (const line of readLines(file)) {
      if (!line.includes('"writing to this primary"')) continue;
      const time = (JSON.parse(line) as { time?: number }).time;
      if (typeof time === 'number' && time > afterWallMs) return [time];
    }
    return [];
  });
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/** "1.3-2.0 s after Patroni promoted a3" from the node times and the promotion time. */
export function followedAfter(nodeTimes: readonly number[], promotedAt: number | null, expected: number): string {
  if (promotedAt === null) return 'Patroni logged no promotion';
  if (nodeTimes.length === 0) return 'no node logged a new primary';
  const delays = nodeTimes.map((t) => (t - promotedAt) / 1000).sort((a, b) => a - b);
  return `${delays[0]!.toFixed(1)}-${delays.at(-1)!.toFixed(1)} s after Patroni promoted it (${nodeTimes.length} of ${expected} nodes)`;
}
