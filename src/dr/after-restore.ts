import { regionOf, type Topology } from '../topology/model.js';
import type { DrTarget } from '../topology/target.js';
import { DrError } from './errors.js';
import { generationsSeenByNodes, raiseGeneration, waitForWritable, type GenerationSighting } from './generation-floor.js';
import { Timeline, type TimelineStep } from './timeline.js';

export interface AfterRestoreOptions {
  /** The region whose server was restored (default: the topology's `primary`). */
  readonly region?: string;
  /** A generation some node that is down may remember: the new one is made higher than this too. */
  readonly generationAbove?: number;
  readonly progress?: (step: string) => void;
}

export interface AfterRestoreReport {
  readonly region: string;
  /** What the restored server held: the generation of the backup's time. */
  readonly restoredGeneration: number | null;
  readonly generation: number;
  readonly nodesSeen: readonly GenerationSighting[];
  readonly steps: readonly TimelineStep[];
  readonly totalMs: number;
}

/**
 * A server restored from a backup holds the generation of the backup's time, older than what
 * nodes remember (in memory and in their snapshots): they would refuse it as an old primary. This
 * raises its generation above every one the nodes report, and above `generationAbove` for those
 * that do not answer. Any server still running from before the restore keeps its lower
 * generation, so nodes that see both keep refusing the stale one.
 */
export async function afterRestore(target: DrTarget, options: AfterRestoreOptions = {}): Promise<AfterRestoreReport> {
  const region = restoredRegion(target.topology, options.region);
  const timeline = new Timeline(options.progress);
  const restoredGeneration = await timeline.step(`check that ${region.name}'s restored server takes writes`, () => waitForWritable(region.postgres.url, 10_000));
  const nodesSeen = await timeline.step('ask the nodes which generation they have seen', () => generationsSeenByNodes(target.topology, target.adminToken));
  const floor = Math.max(options.generationAbove ?? 0, ...nodesSeen.map((s) => s.generation ?? 0));
  const generation = await timeline.step('raise the cluster generation above every one seen', () =>
    raiseGeneration(region.postgres.url, floor, 'verdict dr promote --after-restore', `${region.name} restored from a backup (generation ${restoredGeneration ?? 'none'})`),
  );
  return { region: region.name, restoredGeneration, generation, nodesSeen, steps: timeline.steps, totalMs: timeline.elapsedMs };
}

function restoredRegion(topology: Topology, name: string | undefined) {
  const chosen = name ?? topology.primary;
  if (chosen === undefined) throw new DrError('say which region was restored: --region <name> (the topology names no primary)');
  return regionOf(topology, chosen);
}
