import type { EvaluationSample } from '../drill/evaluation-load.js';
import type { WriteRecord } from '../drill/write-stream.js';
import type { Outage } from './context.js';

export interface RegionErrors {
  readonly region: string;
  /** Requests that count: those to nodes that were not out on purpose when they ran. */
  readonly requests: number;
  readonly errors: number;
  /** Requests to nodes while they were out on purpose (killed, cut off), and how many failed: shown, not counted. */
  readonly outageRequests: number;
  readonly outageErrors: number;
  readonly errorKinds: Readonly<Record<string, number>>;
}

/**
 * Evaluation errors per surviving region. A request counts unless its node was out on purpose
 * while it ran: from the start of the fault that took the node (a kill, or its region cut off)
 * until the recovery step had it serving again. Everything else counts, also in a region whose
 * PostgreSQL was killed, paused or promoted: its nodes serve from memory and must not fail.
 */
export function evaluationErrors(samples: readonly EvaluationSample[], outages: readonly Outage[], regions: readonly string[], end: number): RegionErrors[] {
  const out = (s: EvaluationSample) => outages.some((o) => o.nodes.includes(s.node) && s.t <= (o.to ?? end) && s.t + s.ms >= o.from);
  return regions.map((region) => {
    const mine = samples.filter((s) => s.region === region);
    const counted = mine.filter((s) => !out(s));
    const errorKinds: Record<string, number> = {};
    for (const s of counted) if (!s.ok) errorKinds[s.error ?? 'error'] = (errorKinds[s.error ?? 'error'] ?? 0) + 1;
    const excluded = mine.filter(out);
    return {
      region,
      requests: counted.length,
      errors: counted.filter((s) => !s.ok).length,
      outageRequests: excluded.length,
      outageErrors: excluded.filter((s) => !s.ok).length,
      errorKinds,
    };
  });
}

/** Every node that ever answered with a mixed release, with how many times. */
export function mixedAnswers(samples: readonly EvaluationSample[]): Record<string, number> {
  const nodes: Record<string, number> = {};
  for (const s of samples) if (s.mixed) nodes[s.node] = (nodes[s.node] ?? 0) + 1;
  return nodes;
}

/**
 * Write RTO: for each loss of the primary, the time to the first acknowledgement of a write sent
 * after it (a write sent before could have committed just before the loss); the worst one.
 */
export function writeRto(log: readonly WriteRecord[], losses: readonly { readonly at: number }[]): number | null {
  let worst: number | null = null;
  for (const { at } of losses) {
    const first = log.filter((w) => w.ackAt !== null && w.startedAt >= at).reduce<number | null>((min, w) => (min === null || w.ackAt! < min ? w.ackAt! : min), null);
    if (first === null) return null;
    worst = Math.max(worst ?? 0, Math.round(first - at));
  }
  return worst;
}

/** Slack for the time between reading the lag and the fault, and for the lag's own sampling. */
export const LAG_SLACK_MS = 500;

/**
 * Async mode: the acknowledged writes lost that the lag seen before a loss does not explain: not
 * acknowledged within that lag (plus slack) around some loss of the primary, i.e. earlier, or
 * after it (an old primary that came back and took writes). Must be none.
 */
export function lossesBeyondLag(log: readonly WriteRecord[], lost: readonly string[], losses: readonly { readonly at: number; readonly lagMs: number }[]): string[] {
  const byId = new Map(log.map((w) => [w.id, w]));
  return lost.filter((id) => {
    const ackAt = byId.get(id)?.ackAt ?? null;
    return ackAt === null || !losses.some((l) => ackAt >= l.at - l.lagMs - LAG_SLACK_MS && ackAt <= l.at + LAG_SLACK_MS);
  });
}

/** When each lost write was acknowledged, relative to the nearest loss of the primary ("+1200ms"), for the report. */
export function lossTimes(log: readonly WriteRecord[], lost: readonly string[], losses: readonly { readonly at: number }[]): string[] {
  const byId = new Map(log.map((w) => [w.id, w]));
  return lost.map((id) => {
    const ackAt = byId.get(id)?.ackAt ?? null;
    if (ackAt === null || losses.length === 0) return `${id} (acknowledged ${ackAt === null ? 'never' : `at ${Math.round(ackAt)}ms`})`;
    const nearest = losses.reduce((a, b) => (Math.abs(ackAt - b.at) < Math.abs(ackAt - a.at) ? b : a));
    const d = Math.round(ackAt - nearest.at);
    return `${id} (acknowledged ${d >= 0 ? '+' : ''}${d}ms from the loss of the primary)`;
  });
}

/** The longest time without any acknowledged write. */
export function longestAckGap(log: readonly WriteRecord[]): number {
  const acks = log.filter((w) => w.ackAt !== null).map((w) => w.ackAt!).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < acks.length; i++) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
  return Math.round(gap);
}
