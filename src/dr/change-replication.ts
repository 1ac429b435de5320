import { connect } from '../db/connect.js';
import { findRegion, postgresUrl, readLabState, standbyName, writeLabState } from '../lab/state.js';
import { setReplicationMode, type ReplicationReport, type ReplicationSetting } from './replication.js';

/** `verdict dr replication`: the lab primary's mode over every other region's standby, recorded in the lab. */
export async function changeReplication(dir: string, setting: ReplicationSetting): Promise<ReplicationReport & { readonly primary: string }> {
  const state = readLabState(dir);
  const primary = findRegion(state, state.primaryRegion);
  const sql = connect(postgresUrl(state, primary), { max: 1 });
  try {
    const standbys = state.regions.filter((r) => r.name !== primary.name).map((r) => standbyName(r.name));
    const report = await setReplicationMode(sql, setting, standbys);
    state.replication = { mode: setting.mode, standbys: setting.standbys }; // what was asked: a rejoin restores it
    writeLabState(state);
    return { ...report, primary: primary.name };
  } finally {
    await sql.end({ timeout: 1 });
  }
}
