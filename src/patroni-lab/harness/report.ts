import type { FaultResult } from './faults.js';
import type { WriteCheck } from '../../drill/check.js';
import type { PatroniTimings } from '../plan.js';
import type { RestoreDrillResult } from './restore-drill.js';

/** One lab's outcome: its timings, each fault's figures, the set checker's verdict, the restore drill. */
export interface VariantResult {
  readonly timings: PatroniTimings;
  readonly faults: readonly FaultResult[];
  readonly writes: WriteCheck;
  readonly lostBeyondLag: readonly string[];
  readonly lag: { readonly bytes: number; readonly ms: number };
  readonly evaluations: number;
  readonly restore?: RestoreDrillResult;
  readonly setupMs: number;
  readonly totalMs: number;
}

const ms = (v: number | null): string => (v === null ? 'n/a' : `${(v / 1000).toFixed(1)} s`);

/** One line per lab: its timings, writes and what the set checker found. */
export function variantLine(r: VariantResult): string {
  const t = r.timings;
  return (
    `patroni ttl ${t.ttl}/loop_wait ${t.loopWait}/retry_timeout ${t.retryTimeout}: ${r.writes.acknowledged} acknowledged writes, ${r.writes.lost.length} lost ` +
    `(${r.lostBeyondLag.length} beyond the cross-region lag of ${r.lag.ms} ms / ${r.lag.bytes} bytes), ${r.writes.duplicates.length} duplicated, ` +
    `${r.writes.unacknowledged} unacknowledged (${r.writes.unacknowledgedApplied} of them applied); ${r.evaluations} evaluations through the front; set-up ${ms(r.setupMs)}, total ${ms(r.totalMs)}`
  );
}

/** A fault's figures, then its evaluation errors per client region and what waiting writes were told. */
export function faultLines(f: FaultResult): string[] {
  const evals = f.evaluations.map((e) => `${e.region} ${e.errors}/${e.requests} errors${e.errorsInDetection > 0 ? ` (${e.errorsInDetection} in the detection window)` : ''}`).join(', ');
  const facts = Object.entries(f.facts)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const rto = f.writeRtoMs === null ? '' : `, write RTO ${ms(f.writeRtoMs)}`;
  const lines = [
    `  ${f.name}: database write gap ${ms(f.databaseGapMs)}, longest write gap ${ms(f.writeGapMs)}${rto}; evaluations through the front: ${evals}, slowest ${f.slowestEvaluationMs} ms`,
    `    ${facts}`,
  ];
  for (const [error, n] of Object.entries(f.writeErrors)) lines.push(`    writes were told (${n}x): ${error}`);
  return lines;
}

export function restoreLines(r: RestoreDrillResult): string[] {
  return [
    `  point-in-time restore to ${r.target}: pgbackrest restore ${ms(r.restoreMs)}, recovered and promoted after ${ms(r.recoveredMs)}; ` +
      `${r.restored.releases.length} releases, ${r.restored.decisionVersions} decision versions, ${r.restored.deployments} deployments: ${r.matches ? 'as at the point' : 'DIFFERENT'}`,
    `    a node remembering a newer generation, before --after-restore: ${r.refusedBefore}`,
    `    verdict dr promote --after-restore: ${r.afterRestore}; writes accepted after: ${r.acceptedAfter ? 'yes' : 'NO'}`,
  ];
}
