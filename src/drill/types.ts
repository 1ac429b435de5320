import type { ServingTopology } from '../lab/state.js';
import type { ReplicationSetting } from '../pg-admin/replication.js';
import type { PromoteReport } from '../dr/promote.js';
import type { WriteCheck } from './check.js';

export interface DrillOptions {
  /** An existing lab; without it the drill builds one in a temporary folder and removes it afterwards. */
  readonly dir?: string;
  readonly regions: number;
  readonly nodesPerRegion: number;
  readonly topology: ServingTopology;
  /** Set on the lab before the drill (default: sync for a lab the drill builds, the lab's own mode otherwise). */
  readonly replication?: ReplicationSetting;
  readonly durationS: number;
  /** Evaluation loops per region. */
  readonly concurrency: number;
  readonly writesPerSecond: number;
  readonly durable?: boolean;
  /**
   * Also send evaluations through this front (a load balancer in front of the nodes, e.g. the
   * HAProxy global front of deploy/patroni): errors after `detectionMs` from the kill fail the drill.
   */
  readonly front?: { readonly url: string; readonly detectionMs: number };
  readonly progress?: (step: string) => void;
}

/** Evaluations sent through `--front`, as its clients saw them. */
export interface FrontEvaluations {
  readonly url: string;
  readonly detectionMs: number;
  readonly requests: number;
  readonly errors: number;
  /** Errors from the start of the kill until the end of the detection window: shown, allowed. */
  readonly errorsInDetection: number;
  /** Errors later than that: each one fails the drill. */
  readonly errorsAfterDetection: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface RegionEvaluations {
  readonly region: string;
  readonly killed: boolean;
  readonly requests: number;
  readonly errors: number;
  readonly errorsAfterKill: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface SeriesPoint {
  readonly second: number;
  readonly region: string;
  readonly ok: number;
  readonly errors: number;
}

export interface DrillCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillReport {
  readonly startedAt: string;
  readonly lab: { readonly dir: string; readonly builtForTheDrill: boolean };
  readonly config: {
    readonly regions: number;
    readonly nodesPerRegion: number;
    readonly topology: ServingTopology;
    readonly replication: ReplicationSetting;
    readonly durationS: number;
    readonly concurrency: number;
    readonly writesPerSecond: number;
  };
  /** The kill began at startedAtMs; at atMs the region's server and nodes were gone. */
  readonly kill: { readonly region: string; readonly startedAtMs: number; readonly atMs: number };
  readonly promotion: PromoteReport & { readonly startedAtMs: number; readonly finishedAtMs: number };
  readonly writes: WriteCheck & {
    readonly attempted: number;
    /** Kill to the first write acknowledged afterwards (necessarily by the new primary). */
    readonly rtoMs: number | null;
    readonly longestGapMs: number;
  };
  readonly evaluations: readonly RegionEvaluations[];
  /** With `--front`: evaluations through it. */
  readonly front?: FrontEvaluations;
  /** active-passive: kill to the first good evaluation through the front afterwards. */
  readonly evaluationDowntimeMs: number | null;
  /** After recovery: a deploy on the new primary until every surviving node serves it. */
  readonly propagation: { readonly ms: number | null; readonly nodes: number };
  readonly series: readonly SeriesPoint[];
  readonly writeSeries: readonly { readonly second: number; readonly acknowledged: number }[];
  readonly checks: readonly DrillCheck[];
  readonly passed: boolean;
}
