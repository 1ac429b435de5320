import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';

/** The OS identity Postgres processes run as. initdb and postgres refuse to run as root. */
export interface PgOsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** True when we must switch to this user (we are root). */
  readonly switchUser: boolean;
}

const PG_USER = 'postgres';

function lookup(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

let cached: PgOsUser | undefined;

/**
 * When running as root, Postgres runs as the `postgres` OS user, created here when missing.
 * Otherwise it runs as the current user.
 */
export function pgOsUser(): PgOsUser {
  if (cached) return cached;
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    cached = Object.freeze({ name: me.username, uid: me.uid, gid: me.gid, switchUser: false });
    return cached;
  }
  let ids = lookup(PG_USER);
  if (!ids) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    ids = lookup(PG_USER);
    if (!ids) throw new Error(`could not create the '${PG_USER}' OS user to run PostgreSQL as`);
  }
  cached = Object.freeze({ name: PG_USER, uid: ids.uid, gid: ids.gid, switchUser: true });
  return cached;
}

/**
 * Who runs a PostgreSQL tool that reads files the server's user owns (pgBackRest's repository):
 * as root, the `postgres` OS user when it exists (never created here: reading must not add a user
 * to the machine); otherwise, and when it does not exist, the current user.
 */
export function pgToolUser(): PgOsUser {
  const me = userInfo();
  const self = Object.freeze({ name: me.username, uid: me.uid, gid: me.gid, switchUser: false });
  if (process.getuid?.() !== 0) return self;
  const ids = lookup(PG_USER);
  return ids ? Object.freeze({ name: PG_USER, uid: ids.uid, gid: ids.gid, switchUser: true }) : self;
}

/**
 * The first parent of `dir` the Postgres user cannot traverse (needs search permission on every
 * parent), or undefined when the whole path is reachable. Parents that do not exist yet are fine:
 * we create them.
 */
export function unreachableParent(dir: string, user: PgOsUser): { path: string; mode: string } | undefined {
  if (!user.switchUser) return undefined;
  let current = path.dirname(path.resolve(dir));
  const parents: string[] = [];
  for (;;) {
    parents.unshift(current);
    const up = path.dirname(current);
    if (up === current) break;
    current = up;
  }
  for (const p of parents) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return undefined; // does not exist yet; everything below will be created by us
    }
    const mode = st.mode & 0o777;
    const ok =
      (st.uid === user.uid && (mode & 0o100) !== 0) ||
      (st.gid === user.gid && (mode & 0o010) !== 0) ||
      (mode & 0o001) !== 0;
    if (!ok) return { path: p, mode: mode.toString(8).padStart(3, '0') };
  }
  return undefined;
}
