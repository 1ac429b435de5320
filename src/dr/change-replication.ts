import { connect } from '../db/connect.js';
import { setReplicationMode, type ReplicationReport, type ReplicationSetting } from '../pg-admin/replication.js';
import { endpointsOf } from '../topology/model.js';
import type { DrTarget } from '../topology/target.js';
import { primaryRegion } from './primary.js';
import { drStatus } from './status.js';

/**
 * `verdict dr replication`: the primary's mode over every other region's standby. The owner (a
 * lab) records what was asked: a rejoin or promotion restores it.
 */
export async function changeReplication(target: DrTarget, setting: ReplicationSetting): Promise<ReplicationReport & { readonly primary: string }> {
  const { topology } = target;
  const primary = primaryRegion(topology, await drStatus(endpointsOf(topology), undefined));
  const sql = connect(primary.postgres.url, { max: 1 });
  try {
    const standbys = topology.regions.filter((r) => r.name !== primary.name).map((r) => r.postgres.standbyName);
    const report = await setReplicationMode(sql, setting, standbys);
    target.owner?.replicationAsked({ mode: setting.mode, standbys: setting.standbys });
    return { ...report, primary: primary.name };
  } finally {
    await sql.end({ timeout: 1 });
  }
}
