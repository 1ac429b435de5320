import type { Logger } from 'pino';
import type { JdmDocument } from '../../lib/jdm.js';
import type { FunctionGateStatus } from './function-gate.js';
import type { EngineHostProcess, Lane } from './host-process.js';
import type { IsolatedDecision } from './isolation.js';
import type { LaneHosts, LaneStatus, Sent } from './lane.js';
import type { HttpCalls } from './protocol.js';

export interface EnginePoolOptions {
  /** Hosts function nodes may call over HTTP. */
  readonly allowHosts: readonly string[];
  /** Engine host processes serving evaluations (the isolated lane has one more). */
  readonly hosts: number;
  /** Keep a started spare host that takes a stopped host's place at once (default true). */
  readonly spare?: boolean | undefined;
  /** Every evaluation (a whole batch, a simulation, one expression check) ends by this deadline. */
  readonly timeoutMs: number;
  /** A host held this long by a runaway evaluation is stopped, and the runaway isolated. */
  readonly slowMs: number;
  /** How long a decision stays in the isolated lane after it was slow, timed out or crashed a host. */
  readonly isolationMs: number;
  /** Evaluations that may run function-node code at once (default cores - 1). */
  readonly functionConcurrency?: number | undefined;
  readonly logger: Logger;
  readonly events?: Partial<PoolEvents> | undefined;
}

export interface PoolEvents {
  http(calls: HttpCalls): void;
  restart(lane: Lane, reason: string): void;
  /** A decision hit a bound: it held a host past the slow mark, ran past its deadline, or crashed a host. */
  limit(kind: 'slow' | 'timeout' | 'crash', label: string): void;
}

export interface PoolStatus {
  readonly serving: LaneStatus;
  readonly isolated: LaneStatus;
  readonly functionGate: FunctionGateStatus;
  readonly isolatedDecisions: readonly IsolatedDecision[];
  readonly timeoutMs: number;
  /** Whether each host runs on one CPU of its own (see cpu-pinning.ts). */
  readonly pinned: boolean;
}

/** The decisions of a namespace (a compiled release or a simulation), as hosts load them. */
export type NamespaceDecisions = readonly { key: string; content: JdmDocument }[];

export interface PoolLanes {
  readonly serving: LaneHosts;
  readonly isolated: LaneHosts;
}

/** What each host has been sent and not answered, in order. */
export type HostQueues = Map<EngineHostProcess, Sent[]>;
