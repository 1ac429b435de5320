import type { LabState } from '../lab/state.js';
import type { WriteCheck } from './check.js';
import type { EvaluationSample } from './evaluation-load.js';
import type { DrillCheck, DrillOptions, DrillReport, FrontEvaluations, RegionEvaluations, SeriesPoint } from './types.js';
import type { WriteRecord } from './write-stream.js';

/** The evaluation load's name for the clients of `--front`. */
export const FRONT = 'front';

/** The drill's figures and checks from its logs: what was acknowledged, lost, served, and when. */
export function summarize(input: {
  startedAtIso: string;
  state: LabState;
  options: DrillOptions;
  built: boolean;
  killAtMs: number;
  killStartedAtMs: number;
  killedRegion: string;
  promotion: DrillReport['promotion'];
  check: WriteCheck;
  writes: readonly WriteRecord[];
  samples: readonly EvaluationSample[];
  propagationMs: number | null;
  survivors: number;
}): DrillReport {
  const { state, options, killAtMs, killStartedAtMs, killedRegion, promotion, check, writes, samples } = input;
  const replication = state.replication;
  const acks = writes.filter((w) => w.ackAt !== null).map((w) => w.ackAt!).sort((a, b) => a - b);
  // Recovery times count from the start of the kill (the region may die at any moment of it), and
  // what counts as recovered comes after its end, when no answer can come from the killed region.
  const firstAfterKill = acks.find((t) => t > killAtMs);
  const rtoMs = firstAfterKill === undefined ? null : Math.round(firstAfterKill - killStartedAtMs);
  let longestGapMs = 0;
  for (let i = 1; i < acks.length; i++) longestGapMs = Math.max(longestGapMs, acks[i]! - acks[i - 1]!);

  const evaluations: RegionEvaluations[] = state.regions.map((region) => {
    const mine = samples.filter((s) => s.region === region.name);
    const latencies = mine.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
    const errorKinds: Record<string, number> = {};
    for (const s of mine) if (!s.ok) errorKinds[s.error ?? 'error'] = (errorKinds[s.error ?? 'error'] ?? 0) + 1;
    return {
      region: region.name,
      killed: region.name === killedRegion,
      requests: mine.length,
      errors: mine.filter((s) => !s.ok).length,
      errorsAfterKill: mine.filter((s) => !s.ok && s.t >= killStartedAtMs).length,
      errorKinds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
  });
  const front = options.front ? frontEvaluations(samples.filter((s) => s.region === FRONT), options.front, killStartedAtMs) : undefined;
  const firstGoodAfterKill = samples.filter((s) => s.ok && s.t >= killAtMs).reduce<number | null>((min, s) => (min === null || s.t < min ? s.t : min), null);
  const evaluationDowntimeMs = options.topology === 'active-passive' && firstGoodAfterKill !== null ? Math.max(0, firstGoodAfterKill - killStartedAtMs) : null;

  const seconds = Math.ceil(Math.max(...samples.map((s) => s.t), ...acks, 0) / 1000);
  const series: SeriesPoint[] = [];
  for (const region of state.regions) {
    for (let second = 0; second < seconds; second++) {
      const inSecond = samples.filter((s) => s.region === region.name && s.t >= second * 1000 && s.t < (second + 1) * 1000);
      series.push({ second, region: region.name, ok: inSecond.filter((s) => s.ok).length, errors: inSecond.filter((s) => !s.ok).length });
    }
  }
  const writeSeries = Array.from({ length: seconds }, (_, second) => ({ second, acknowledged: acks.filter((t) => t >= second * 1000 && t < (second + 1) * 1000).length }));

  const synchronous = replication.mode !== 'async';
  const surviving = evaluations.filter((e) => !e.killed);
  const checks: DrillCheck[] = [
    synchronous
      ? { name: 'RPO', ok: check.lost.length === 0, detail: `${check.lost.length} of ${check.acknowledged} acknowledged writes lost (${replication.mode} replication must lose none)` }
      : { name: 'RPO', ok: true, detail: `${check.lost.length} of ${check.acknowledged} acknowledged writes lost (async replication: measured, not guaranteed)` },
    { name: 'duplicates', ok: check.duplicates.length === 0, detail: `${check.duplicates.length} writes applied more than once` },
    options.topology === 'active-active'
      ? {
          name: 'evaluation in surviving regions',
          ok: surviving.every((e) => e.errors === 0),
          detail: surviving.map((e) => `${e.region} ${e.errors} errors in ${e.requests}`).join(', '),
        }
      : {
          name: 'evaluation resumed',
          ok: firstGoodAfterKill !== null,
          detail: evaluationDowntimeMs === null ? 'no good evaluation after the kill' : `the front served again ${Math.round(evaluationDowntimeMs)} ms after the kill`,
        },
    ...(front
      ? [
          {
            name: 'evaluation through the front',
            ok: front.errorsAfterDetection === 0,
            detail: `${front.errors} errors in ${front.requests} (${front.errorsInDetection} within ${front.detectionMs} ms of the kill, ${front.errorsAfterDetection} after)`,
          },
        ]
      : []),
    { name: 'writes resumed', ok: firstAfterKill !== undefined, detail: rtoMs === null ? 'no write acknowledged after the kill' : `write RTO ${rtoMs} ms` },
    {
      name: 'propagation after recovery',
      ok: input.propagationMs !== null,
      detail: input.propagationMs === null ? 'the deploy did not reach every surviving node within 30 s' : `${Math.round(input.propagationMs)} ms to ${input.survivors} node(s)`,
    },
  ];
  return {
    startedAt: input.startedAtIso,
    lab: { dir: state.dir, builtForTheDrill: input.built },
    config: {
      regions: state.regions.length,
      nodesPerRegion: state.regions[0]!.nodes.length,
      topology: options.topology,
      replication,
      durationS: options.durationS,
      concurrency: options.concurrency,
      writesPerSecond: options.writesPerSecond,
    },
    kill: { region: killedRegion, startedAtMs: Math.round(input.killStartedAtMs), atMs: Math.round(killAtMs) },
    promotion,
    writes: {
      ...check,
      attempted: writes.length,
      rtoMs,
      longestGapMs: Math.round(longestGapMs),
    },
    evaluations,
    ...(front ? { front } : {}),
    evaluationDowntimeMs: evaluationDowntimeMs === null ? null : Math.round(evaluationDowntimeMs),
    propagation: { ms: input.propagationMs === null ? null : Math.round(input.propagationMs), nodes: input.survivors },
    series,
    writeSeries,
    checks,
    passed: checks.every((c) => c.ok),
  };
}

function frontEvaluations(samples: readonly EvaluationSample[], front: { readonly url: string; readonly detectionMs: number }, killStartedAtMs: number): FrontEvaluations {
  const failed = samples.filter((s) => !s.ok);
  const errorKinds: Record<string, number> = {};
  for (const s of failed) errorKinds[s.error ?? 'error'] = (errorKinds[s.error ?? 'error'] ?? 0) + 1;
  const after = failed.filter((s) => s.t >= killStartedAtMs + front.detectionMs).length;
  const latencies = samples.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
  return {
    url: front.url,
    detectionMs: front.detectionMs,
    requests: samples.length,
    errors: failed.length,
    errorsInDetection: failed.filter((s) => s.t >= killStartedAtMs && s.t < killStartedAtMs + front.detectionMs).length,
    errorsAfterDetection: after,
    errorKinds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}
