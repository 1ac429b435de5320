import { setTimeout as sleep } from 'node:timers/promises';
import { clusterOf } from '../lab/lab.js';
import { childrenOf } from '../local-pg/index.js';
import { findRegion, nodeUrl, readLabState, type LabRegion, type LabState } from '../lab/state.js';
import type { WriteStream } from '../drill/write-stream.js';
import type { ChaosNetwork } from './network.js';
import type { Rng } from './prng.js';

/** A window in which some nodes were out on purpose (killed, or their region cut off). */
export interface Outage {
  readonly nodes: readonly string[];
  readonly from: number;
  to: number | null;
}

/** What a fault step works with: the lab, its network, the clock of the workload, and what it marks. */
export interface ChaosContext {
  readonly dir: string;
  readonly network: ChaosNetwork | undefined;
  readonly rng: Rng;
  /** ms since the workload started (the clock of the write and evaluation logs). */
  readonly since: () => number;
  /** The deploy writer: a node kill waits for one of its deploys to be in flight. */
  readonly deploys: WriteStream;
  readonly outages: Outage[];
  /**
   * When the primary was lost (killed, paused, cut off): write RTO counts from here. `lagMs` is
   * the standbys' write lag the primary reported just before (async mode bounds losses by it).
   */
  readonly primaryLosses: { readonly at: number; readonly lagMs: number }[];
  readonly log: (line: string) => void;
}

export const labState = (ctx: ChaosContext): LabState => readLabState(ctx.dir);

export function primaryOf(ctx: ChaosContext): LabRegion {
  const state = labState(ctx);
  return findRegion(state, state.primaryRegion);
}

export function standbysOf(ctx: ChaosContext): LabRegion[] {
  const state = labState(ctx);
  return state.regions.filter((r) => r.name !== state.primaryRegion);
}

/** Marks `region`'s nodes (or the given ones) as out from now; returns the call that ends it. */
export function outage(ctx: ChaosContext, nodes: readonly string[]): () => void {
  const window: Outage = { nodes, from: ctx.since(), to: null };
  ctx.outages.push(window);
  return () => {
    window.to ??= ctx.since();
  };
}

export const regionNodes = (region: LabRegion): string[] => region.nodes.map(nodeUrl);

/**
 * Sends a signal to every process of a region's PostgreSQL, as when its machine dies or freezes.
 * Each backend leads a process group of its own (PostgreSQL calls setsid in every child), so the
 * postmaster's group is not enough, and a backend that outlives its postmaster can still finish a
 * commit. The postmaster is stopped first, so it forks nothing while its children are listed (a
 * dead one's children would already belong to init).
 */
export function signalPostgres(region: LabRegion, signal: NodeJS.Signals): number {
  const pid = clusterOf(region).runningPid();
  if (pid === undefined) throw new Error(`PostgreSQL in ${region.name} is not running`);
  if (signal !== 'SIGCONT') process.kill(pid, 'SIGSTOP');
  for (const child of childrenOf(pid)) {
    try {
      process.kill(child, signal);
    } catch {
      // exited meanwhile
    }
  }
  process.kill(pid, signal);
  return pid;
}

/** Waits (at most `ms`) until the deploy writer has a request out, so a fault lands mid-write. */
export async function midWrite(ctx: ChaosContext, ms = 3000): Promise<string | undefined> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (ctx.deploys.inFlight !== undefined) return ctx.deploys.inFlight;
    await sleep(2);
  }
  return undefined;
}
