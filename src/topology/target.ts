import type { ReplicationSetting } from '../pg-admin/replication.js';
import type { Topology } from './model.js';

/**
 * Whoever keeps records of the topology besides the servers themselves (a lab, in its lab.json
 * and topology.yaml), told when a DR action changes them. A topology file of your own is never
 * rewritten: the live servers say where the primary is.
 */
export interface TopologyOwner {
  primaryMoved(region: string): void;
  /** The mode `dr replication` set, which promote and rejoin restore. */
  replicationAsked(setting: ReplicationSetting): void;
  /** The region's Verdict nodes that are down, to start after a rejoin; undefined when none is (or they are not ours to start). */
  downNodes(region: string): { readonly count: number; readonly start: () => Promise<void> } | undefined;
}

/** What a DR action works on: the topology, a token to ask a node for the fleet, and its owner. */
export interface DrTarget {
  readonly topology: Topology;
  readonly adminToken?: string;
  readonly owner?: TopologyOwner;
}
