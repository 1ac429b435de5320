import { chmodSync, chownSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PgOsUser } from '../local-pg/os-user.js';
import { renderFront, renderRegionHaproxy } from './haproxy-config.js';
import { renderPatroniConfig } from './patroni-config.js';
import { renderBackrestConfig } from './pgbackrest-config.js';
import type { LabPlan } from './plan.js';
import { renderTopologyFile } from './topology-file.js';

export interface LabFile {
  /** Absolute, under the plan's root. */
  readonly path: string;
  readonly content: string;
}

/** Every configuration file of a plan: Patroni and pgBackRest per member, HAProxy per region and the front. */
export function renderLabFiles(plan: LabPlan): LabFile[] {
  const files: LabFile[] = [];
  for (const region of plan.regions) {
    for (const member of region.members) {
      files.push({ path: member.configFile, content: renderPatroniConfig(plan, region, member) });
      files.push({ path: member.backrestConfig, content: renderBackrestConfig(plan, region, member) });
    }
    files.push({ path: region.haproxy.configFile, content: renderRegionHaproxy(plan, region) });
  }
  files.push({ path: plan.front.configFile, content: renderFront(plan) });
  files.push({ path: topologyFile(plan.root), content: renderTopologyFile(plan) });
  return files;
}

/** The lab as a Verdict topology file (`verdict dr status --topology <root>/topology.yaml`). */
export const topologyFile = (root: string): string => path.join(root, 'topology.yaml');

/** The plan itself, at `<root>/plan.json`: what cleanup reads to find every data folder and process. */
export const planFile = (root: string): string => path.join(root, 'plan.json');

/**
 * Lays out the lab's folders and writes its files. Everything the lab's processes touch belongs
 * to the lab user (the postgres OS user when we are root: PostgreSQL refuses to run as root, and
 * etcd and HAProxy need no more); the root folder stays ours, passable (0711) but not listable.
 * Files holding passwords are 0600.
 */
export function writeLabFiles(plan: LabPlan, user: PgOsUser): void {
  const own = (target: string) => {
    if (user.switchUser) chownSync(target, user.uid, user.gid);
  };
  const folder = (dir: string, mode = 0o700) => {
    mkdirSync(dir, { recursive: true, mode });
    chmodSync(dir, mode);
    own(dir);
  };
  mkdirSync(plan.root, { recursive: true });
  chmodSync(plan.root, 0o711);
  for (const dir of ['etcd', 'pg', 'sock', 'patroni', 'haproxy', 'home']) folder(path.join(plan.root, dir));
  folder(path.join(plan.root, 'logs'));
  folder(path.join(plan.root, 'pgbackrest'), 0o750);
  // Each level the lab user must pass through is its own (a recursive mkdir would leave the middle ones ours).
  for (const what of ['log', 'lock', 'spool']) folder(path.join(plan.root, 'pgbackrest', what), 0o750);
  for (const region of plan.regions) {
    folder(region.backrestRepo, 0o750);
    for (const member of region.members) {
      folder(member.socketDir);
      for (const what of ['log', 'lock', 'spool']) folder(path.join(plan.root, 'pgbackrest', what, member.name), 0o750);
    }
  }
  for (const file of renderLabFiles(plan)) writePrivate(file.path, file.content, own);
  // The plan holds the passwords and is read by the harness only: ours, not the lab user's.
  writePrivate(planFile(plan.root), `${JSON.stringify(plan, null, 2)}\n`, () => undefined);
}

/** Written whole or not at all (a reader never sees half a file), mode 0600. */
function writePrivate(file: string, content: string, own: (target: string) => void): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  own(tmp);
  renameSync(tmp, file);
}
