import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pgOsUser, unreachableParent } from './os-user.js';

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
