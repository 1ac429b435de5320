import type { JdmDocument } from '../../lib/jdm.js';

/** One environment of any project and what it serves: what an evaluating node keeps in memory. */
export interface CatalogEntry {
  environmentId: string;
  environmentKey: string;
  projectKey: string;
  releaseId: string | null;
  releaseLabel: string | null;
  releaseHash: string | null;
  deploymentId: number | null;
  deployedAt: Date | null;
}

/** A decision of a release, with its content: what a node loads into its engine. */
export interface ServedDecision {
  readonly key: string;
  readonly version: number;
  readonly contentHash: string;
  readonly content: JdmDocument;
}

/** An evaluation token a node admits, by hash. */
export interface ServedToken {
  readonly tokenHash: string;
  readonly environmentId: string;
}

/** A change committed on the control plane; deployments tell the node its propagation delay. */
export interface ServedChange {
  readonly kind: string;
  readonly createdAt: Date;
}

/** What the node asks for when the change counter moved. */
export interface CatalogRequest {
  /** Changes after this counter value (undefined at the first load: none are wanted). */
  readonly changesSince: number | undefined;
  /** Whether the node needs a release's decisions (it has not compiled it, nor failed to). */
  needsContents(releaseId: string): boolean;
}

/** Everything a node serves, read in one consistent snapshot of the control plane. */
export interface Catalog {
  readonly counter: number;
  /** The cluster generation of the server read from (null: unknown). */
  readonly generation: number | null;
  readonly entries: readonly CatalogEntry[];
  /** Decisions of the releases asked for, by release id. */
  readonly contents: ReadonlyMap<string, readonly ServedDecision[]>;
  readonly tokens: readonly ServedToken[];
  readonly changes: readonly ServedChange[];
}

/**
 * The data plane's only view of the control plane's state. A node polls `counter` and, when it
 * moves, reads the whole catalog; everything else it does is in memory.
 */
export interface ServingSource {
  /** The change counter: one cheap read, polled every sync interval. */
  counter(): Promise<number>;
  read(request: CatalogRequest): Promise<Catalog>;
  /** A generation seen elsewhere (a snapshot's or a read's): older primaries are fenced from now on. */
  observeGeneration(generation: number): void;
  /** A read got no answer at all (a partition that leaves sockets open): start over with fresh connections. */
  resetConnections(): void;
  /**
   * Tells `onChange` the counter value of each change committed from now on, as soon as it
   * commits, where the source can (a node that reaches the primary). Optional, and best effort:
   * the poll stays the safety net.
   */
  watch?(onChange: (counter: number) => void): ChangeWatch;
}

/** A subscription to committed changes. */
export interface ChangeWatch {
  /** Called on every poll: subscribes again if the primary changed or the subscription was lost. */
  renew(): void;
  close(): Promise<void>;
}
