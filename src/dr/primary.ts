import { parseSynchronousStandbyNames, type ReplicationSetting } from '../pg-admin/replication.js';
import { regionOf, type Topology, type TopologyRegion } from '../topology/model.js';
import { DrError } from './errors.js';
import type { DrStatus } from './status.js';

/**
 * The region holding the primary. The live answer wins (the writable server with the highest
 * generation, as nodes choose it). With none, the topology's record, unless that server now
 * answers as a standby (a record older than the last promotion); else the one server that does
 * not answer at all, which is what a lost primary looks like.
 */
export function primaryRegion(topology: Topology, status: Pick<DrStatus, 'primary' | 'servers'>): TopologyRegion {
  if (status.primary !== null) return regionOf(topology, status.primary);
  const roleOf = (name: string) => status.servers.find((s) => s.region === name)?.role;
  if (topology.primary !== undefined && roleOf(topology.primary) !== 'standby') return regionOf(topology, topology.primary);
  const silent = status.servers.filter((s) => s.role === 'unreachable');
  if (silent.length === 1) return regionOf(topology, silent[0]!.region);
  throw new DrError(
    `no server answers as the primary, and ${silent.length === 0 ? 'every server answers' : `${silent.map((s) => s.region).join(', ')} do not answer`}: ` +
      'name the region that held it in the topology (primary: <region>)',
  );
}

/**
 * The mode promote and rejoin restore: the topology's, else what the primary has set now, else
 * (the primary is gone and nobody wrote it down) sync with one confirming standby, which loses
 * nothing and turns async by itself while no standby follows.
 */
export function replicationToRestore(topology: Topology, status: Pick<DrStatus, 'replication'>): ReplicationSetting {
  if (topology.replication) return topology.replication;
  const live = status.replication;
  if (live) return live.mode === 'async' ? { mode: 'async', standbys: 0 } : parseSynchronousStandbyNames(live.synchronousStandbyNames);
  return { mode: 'sync', standbys: 1 };
}
