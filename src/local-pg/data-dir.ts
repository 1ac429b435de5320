import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pgOsUser, unreachableParent, type PgOsUser } from './os-user.js';

export interface ResolvedDataDir {
  readonly dir: string;
  /** Why the requested directory was not used, when it was not. */
  readonly relocatedBecause?: string;
}

/**
 * The Postgres OS user needs search permission on every parent of its data directory. A checkout
 * under /root (mode 700) fails that, so such a cluster goes under the system temp folder instead,
 * with a stable name derived from the requested path so it is found again on the next run.
 */
export function resolveDataDir(requested: string): ResolvedDataDir {
  const absolute = path.resolve(requested);
  const blocked = unreachableParent(absolute, pgOsUser());
  if (!blocked) return { dir: absolute };
  const digest = createHash('sha256').update(absolute).digest('hex').slice(0, 12);
  return {
    dir: path.join(tmpdir(), `verdict-pg-${digest}`, path.basename(absolute)),
    relocatedBecause: `the postgres OS user cannot reach ${absolute} (${blocked.path} has mode ${blocked.mode})`,
  };
}

/**
 * The folder holding the embedded cluster, its passwords and its log is private to this user
 * (older versions left it 755). When Postgres runs as another OS user (we are root), that user
 * may only pass through it to its cluster: mode 710, group of the Postgres user.
 */
export function securePrivateDir(dir: string, user: PgOsUser = pgOsUser()): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
  // Never tighten a shared folder such as /tmp (sticky bit): the data folder must be Verdict's alone.
  if ((st.mode & 0o1000) !== 0 || path.resolve(dir) === path.parse(path.resolve(dir)).root) {
    throw new Error(`${dir} is a shared folder; set VERDICT_DATA_DIR to a folder for Verdict alone (e.g. ${path.join(dir, 'verdict')})`);
  }
  if (user.switchUser) {
    if (st.gid !== user.gid) chownSync(dir, st.uid, user.gid);
    if ((st.mode & 0o777) !== 0o710) chmodSync(dir, 0o710);
  } else if ((st.mode & 0o777) !== 0o700) {
    chmodSync(dir, 0o700);
  }
}
