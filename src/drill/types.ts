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
  readonly progress?: (step: string) => void;
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
  /** active-passive: kill to the first good evaluation through the front afterwards. */
  readonly evaluationDowntimeMs: number | null;
  /** After recovery: a deploy on the new primary until every surviving node serves it. */
  readonly propagation: { readonly ms: number | null; readonly nodes: number };
  readonly series: readonly SeriesPoint[];
  readonly writeSeries: readonly { readonly second: number; readonly acknowledged: number }[];
  readonly checks: readonly DrillCheck[];
  readonly passed: boolean;
}
