import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReplicationMode } from '../pg-admin/replication.js';
import { writeTopology } from '../topology/load.js';
import { endpointsOf, type RegionEndpoints, type Topology } from '../topology/model.js';

export type { ReplicationMode };
/** Which regions take evaluations (not to be confused with the DR topology the lab writes). */
export type ServingTopology = 'active-active' | 'active-passive';

export interface LabNode {
  readonly id: string;
  /** Address it listens on: 127.0.0.1, or its region's address in a lab of network namespaces. */
  readonly host?: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  pid: number | null;
}

export interface LabRegion {
  /** `region-1`...; `region_1` as the standby's application_name and slot. */
  readonly name: string;
  /**
   * A region of its own network: its server and nodes run in this network namespace and listen
   * on `host`, so a fault injector can cut the region off. Absent: everything on 127.0.0.1.
   */
  readonly netns?: string;
  readonly host?: string;
  readonly postgres: { readonly dir: string; readonly port: number; readonly logFile: string };
  readonly nodes: LabNode[];
}

/** Everything `verdict lab up` started, so later commands (and other processes) can find and stop it. */
export interface LabState {
  readonly version: 1;
  readonly dir: string;
  readonly createdAt: string;
  readonly database: string;
  readonly adminToken: string;
  readonly topology: ServingTopology;
  replication: { mode: ReplicationMode; standbys: number };
  /** The region whose Postgres is the primary now (changed by `dr promote`). */
  primaryRegion: string;
  readonly regions: LabRegion[];
}

export class LabError extends Error {
  override name = 'LabError';
}

export const stateFile = (dir: string): string => path.join(path.resolve(dir), 'lab.json');

/** The lab as a DR topology, written next to lab.json: what `dr --topology` reads, and `dr --dir` too. */
export const topologyFile = (dir: string): string => path.join(path.resolve(dir), 'topology.yaml');

/**
 * Where drills on the lab keep their reports (`dr drill --dir` writes each there), which the lab's
 * nodes list on the console's Regions screen (VERDICT_DRILL_REPORTS).
 */
export const drillsDir = (dir: string): string => path.join(path.resolve(dir), 'drills');

export function readLabState(dir: string): LabState {
  const file = stateFile(dir);
  if (!existsSync(file)) throw new LabError(`no lab in ${path.resolve(dir)} (no lab.json); start one with verdict lab up --dir ${dir}`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as LabState;
  if (state.version !== 1) throw new LabError(`${file} has an unknown lab state version ${String(state.version)}`);
  return state;
}

export function writeLabState(state: LabState): void {
  mkdirSync(state.dir, { recursive: true });
  const file = stateFile(state.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 }); // holds the admin token
  renameSync(tmp, file);
  writeTopology(topologyFile(state.dir), labTopology(state), TOPOLOGY_COMMENT);
}

const TOPOLOGY_COMMENT = `Written by verdict lab, rewritten when a region changes role; verdict dr status --topology <this file>.
Edits are lost: the lab's record is lab.json.`;

export function findRegion(state: LabState, name: string): LabRegion {
  const region = state.regions.find((r) => r.name === name);
  if (!region) throw new LabError(`no region '${name}' in this lab; it has ${state.regions.map((r) => r.name).join(', ')}`);
  return region;
}

/** application_name and replication slot of a region's standby. */
export const standbyName = (region: string): string => region.replaceAll('-', '_');

export const regionHost = (region: LabRegion): string => region.host ?? '127.0.0.1';

export function postgresUrl(state: LabState, region: LabRegion, database = state.database): string {
  return `postgres://postgres@${regionHost(region)}:${region.postgres.port}/${database}`;
}

/** DATABASE_URL every node gets: all regions' servers; the node finds the primary itself. */
export function writerUrl(state: LabState): string {
  return `postgres://postgres@${state.regions.map((r) => `${regionHost(r)}:${r.postgres.port}`).join(',')}/${state.database}`;
}

export const nodeUrl = (node: LabNode): string => `http://${node.host ?? '127.0.0.1'}:${node.port}`;

/** The lab as DR commands see it: every region with the local details rejoin and switchover need. */
export function labTopology(state: LabState): Topology {
  return {
    primary: state.primaryRegion,
    replication: { mode: state.replication.mode, standbys: state.replication.standbys },
    regions: state.regions.map((r) => ({
      name: r.name,
      postgres: {
        url: postgresUrl(state, r),
        standbyName: standbyName(r.name),
        local: { dataDir: r.postgres.dir, port: r.postgres.port, logFile: r.postgres.logFile, ...(r.netns ? { netns: r.netns } : {}) },
      },
      nodes: r.nodes.map(nodeUrl),
    })),
  };
}

export const drRegions = (state: LabState): RegionEndpoints[] => endpointsOf(labTopology(state));
