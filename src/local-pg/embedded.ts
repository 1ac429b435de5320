import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalPgCluster } from './cluster.js';
import { isAlive } from './pids.js';
import { resolveDataDir, securePrivateDir } from './data-dir.js';
import { OWNER_ROLE, ensureOwnerRole } from './owner-role.js';
import { superviseCluster } from './supervise.js';

export interface EmbeddedPostgres {
  /** Verdict's connection: the owner role, not the superuser. */
  readonly url: string;
  readonly dir: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Requested data directory (e.g. ./.verdict/pg). */
  readonly dir: string;
  readonly database?: string;
  readonly log?: (message: string) => void;
  readonly warn?: (message: string) => void;
  /**
   * The postmaster exited and could not be restarted (see superviseCluster). Without this hook
   * nobody watches the postmaster.
   */
  readonly onFatal?: (error: Error) => void;
}

/**
 * The zero-setup database behind `npm start`: a durable local cluster kept between runs. Only one
 * Verdict process may own it at a time; a cluster left running by a process that died is adopted.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const database = options.database ?? 'verdict';
  const resolved = resolveDataDir(options.dir);
  const parent = path.dirname(resolved.dir);
  if (resolved.relocatedBecause) {
    log(`embedded PostgreSQL lives in ${resolved.dir}: ${resolved.relocatedBecause}`);
    checkRelocatedParent(parent);
  }
  securePrivateDir(parent);
  const sibling = (suffix: string) => path.join(parent, `${path.basename(resolved.dir)}.${suffix}`);
  const ownerFile = sibling('owner');
  // Password authentication even on loopback: other local users must not get a session. The
  // superuser's password sets things up; Verdict connects with the owner role's.
  const passwordFile = sibling('password');
  const rolePasswordFile = sibling(`${OWNER_ROLE}.password`);
  const fresh = !existsSync(path.join(resolved.dir, 'PG_VERSION'));
  if (fresh) writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  if (!existsSync(rolePasswordFile)) writeFileSync(rolePasswordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const password = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined;
  const rolePassword = readFileSync(rolePasswordFile, 'utf8').trim();
  const cluster = new LocalPgCluster({ dir: resolved.dir, durable: true, ...(password ? { password } : {}) });

  const owner = readOwner(ownerFile);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `the embedded database in ${resolved.dir} is in use by another Verdict process (pid ${owner}); stop it, or set DATABASE_URL to use another server`,
    );
  }
  writeFileSync(ownerFile, String(process.pid), { mode: 0o600 });

  try {
    if (!cluster.isInitialized()) {
      log(`creating embedded PostgreSQL cluster in ${resolved.dir}`);
      await cluster.init();
    }
    const adopted = cluster.adoptRunning();
    if (adopted !== undefined) log(`adopting PostgreSQL (pid ${adopted}) left running by an earlier run`);
    else await cluster.start();
    await ensureOwnerRole((db) => cluster.url(db), database, rolePassword);
  } catch (error) {
    await cluster.stop('fast').catch(() => undefined);
    rmSync(ownerFile, { force: true });
    throw error;
  }
  log(`embedded PostgreSQL (pid ${cluster.runningPid()}) listening on ${cluster.host}:${cluster.port}`);
  const supervisor = options.onFatal
    ? superviseCluster(cluster, { log, warn: options.warn ?? log, onFatal: options.onFatal })
    : undefined;
  return {
    url: cluster.roleUrl(OWNER_ROLE, rolePassword, database),
    dir: resolved.dir,
    pid: cluster.runningPid(),
    async stop() {
      try {
        await supervisor?.stop();
        await cluster.stop('fast');
      } finally {
        rmSync(ownerFile, { force: true });
      }
    },
  };
}

/**
 * A relocated cluster lives under the shared temp folder at a predictable path: refuse a parent
 * folder someone else created or can write to, instead of handing it our database.
 */
function checkRelocatedParent(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || st.isSymbolicLink() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} exists but is not a folder owned by this user and writable only by it; remove it or set VERDICT_DATA_DIR`);
  }
}

function readOwner(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
