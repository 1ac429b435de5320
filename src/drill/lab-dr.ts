import { changeReplication as changeTargetReplication } from '../dr/change-replication.js';
import { promote, type PromoteOptions, type PromoteReport } from '../dr/promote.js';
import { rejoin, type RejoinReport } from '../dr/rejoin.js';
import { labTarget } from '../lab/target.js';
import type { ReplicationReport, ReplicationSetting } from '../pg-admin/replication.js';

/**
 * The DR actions on a lab named by its folder, as `verdict dr --dir` runs them: the lab's own
 * topology.yaml, with the lab keeping its records current. The drill, the chaos suite and the
 * tests drive labs this way.
 */
export const promoteRegion = (dir: string, options: PromoteOptions = {}): Promise<PromoteReport> => promote(labTarget(dir), options);

export const rejoinRegion = (dir: string, region: string, options: { readonly restartNodes?: boolean; readonly progress?: (step: string) => void } = {}): Promise<RejoinReport> =>
  rejoin(labTarget(dir), region, options);

export const changeReplication = (dir: string, setting: ReplicationSetting): Promise<ReplicationReport & { readonly primary: string }> =>
  changeTargetReplication(labTarget(dir), setting);
