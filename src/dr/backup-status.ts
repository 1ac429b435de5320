import { spawn } from 'node:child_process';
import { pgToolUser, type PgOsUser } from '../local-pg/index.js';
import { DEFAULT_STANZA } from '../topology/model.js';

/**
 * `dr backup-status`: pgBackRest's own account of a stanza, from `pgbackrest info --output=json`
 * (the shape of pgBackRest 2.45, Debian 12's): the last full backup, the latest backup of any
 * type, and the range of WAL in the archive. Nothing is written: `info` only reads the repository.
 */

/**
 * ok: the stanza holds a valid backup. no-backup: the stanza exists, without a valid backup.
 * stanza-missing: the repository has no such stanza. pgbackrest-missing: the program is not
 * installed. error: pgBackRest failed (unreadable configuration, unreachable repository, ...) or
 * reported another problem with the stanza.
 */
export type BackupHealth = 'ok' | 'no-backup' | 'stanza-missing' | 'pgbackrest-missing' | 'error';

export interface BackupSummary {
  /** pgBackRest's label: `20261202-114005F` (full), `..._20261202-120000I` (incremental), `...D` (differential). */
  readonly label: string;
  readonly type: string;
  readonly startedAt: string;
  readonly stoppedAt: string;
  /** The database's size as backed up, and what this backup stored in the repository (compressed; for diff/incr, only what changed). */
  readonly sizeBytes: number | null;
  readonly repositorySizeBytes: number | null;
  readonly repositoryDeltaBytes: number | null;
  /** The first and last WAL segment the backup needs to be consistent. */
  readonly walStart: string | null;
  readonly walStop: string | null;
  readonly lsnStart: string | null;
  readonly lsnStop: string | null;
  /** The backup this one builds on (diff and incr). */
  readonly prior: string | null;
  readonly repo: number | null;
  /** pgBackRest found page checksum errors while copying. */
  readonly checksumErrors: boolean;
}

export interface BackupStatus {
  readonly at: string;
  readonly status: BackupHealth;
  /** One line: what the status means and what to do about it. */
  readonly message: string;
  readonly stanza: string;
  /** The configuration file given to pgBackRest (null: its default). */
  readonly config: string | null;
  /** The topology region it was read for, when one was named. */
  readonly region?: string;
  /** pgBackRest's status of the stanza, as it says it (`{ code: 2, message: 'no valid backups' }`). */
  readonly pgbackrest: { readonly code: number; readonly message: string } | null;
  /** The current database of the stanza: PostgreSQL major version and system identifier. */
  readonly database: { readonly version: string; readonly systemId: string } | null;
  readonly lastFull: BackupSummary | null;
  readonly latest: BackupSummary | null;
  readonly backupCount: number;
  /** The WAL archived for the current database: the oldest and newest segment in the archive. */
  readonly archive: { readonly min: string | null; readonly max: string | null } | null;
  /** A backup is running now (pgBackRest holds its backup lock). */
  readonly backupRunning: boolean;
  /** What pgBackRest warned about on stderr (an unknown option in the file, ...). */
  readonly warnings: readonly string[];
}

export interface BackupStatusOptions {
  readonly stanza?: string;
  /** pgBackRest's configuration file; without it, pgBackRest's default. */
  readonly config?: string;
  readonly region?: string;
  /** The environment to run it in: PATH to find it, PGBACKREST_* options (a repository's cipher pass, ...). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: `postgres` when run as root and that user exists, else the current user. */
  readonly user?: PgOsUser;
  readonly timeoutMs?: number;
}

const TIMEOUT_MS = 60_000;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `pgbackrest ... info --output=json` and reads what it says about the stanza. */
export async function backupStatus(options: BackupStatusOptions = {}): Promise<BackupStatus> {
  const stanza = options.stanza ?? DEFAULT_STANZA;
  const base = { at: new Date().toISOString(), stanza, config: options.config ?? null, ...(options.region ? { region: options.region } : {}) };
  const args = [
    ...(options.config ? [`--config=${options.config}`] : []),
    `--stanza=${stanza}`,
    // stdout carries the JSON alone; warnings and errors go to stderr; info writes no log file.
    '--log-level-console=off',
    '--log-level-stderr=warn',
    '--log-level-file=off',
    'info',
    '--output=json',
  ];
  let run: Run;
  try {
    run = await runPgbackrest(args, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return failed(base, 'pgbackrest-missing', 'pgbackrest not installed: no pgbackrest program in PATH (Debian/Ubuntu: apt-get install pgbackrest)');
    }
    return failed(base, 'error', `pgbackrest could not be run: ${(error as Error).message}`);
  }
  const lines = run.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const warnings = lines.filter((l) => l.startsWith('WARN:'));
  if (run.signal !== null || run.code !== 0) {
    const why = run.signal === 'SIGKILL' ? `no answer within ${(options.timeoutMs ?? TIMEOUT_MS) / 1000} s` : (lines.find((l) => l.startsWith('ERROR:')) ?? lines[0] ?? `exit code ${run.code}`);
    return failed(base, 'error', `pgbackrest info failed: ${why}`, warnings);
  }
  try {
    return { ...base, ...readInfo(run.stdout, stanza), warnings };
  } catch (error) {
    return failed(base, 'error', `pgbackrest info answered something unreadable: ${(error as Error).message}`, warnings);
  }
}

function failed(base: Pick<BackupStatus, 'at' | 'stanza' | 'config' | 'region'>, status: BackupHealth, message: string, warnings: readonly string[] = []): BackupStatus {
  return { ...base, status, message, pgbackrest: null, database: null, lastFull: null, latest: null, backupCount: 0, archive: null, backupRunning: false, warnings };
}

function runPgbackrest(args: readonly string[], options: BackupStatusOptions): Promise<Run> {
  const user = options.user ?? pgToolUser();
  const from = options.env ?? process.env;
  const env: Record<string, string> = { PATH: from.PATH ?? process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  // PGBACKREST_CONFIG, a repository's cipher pass and other options given through the environment.
  for (const [key, value] of Object.entries(from)) if (key.startsWith('PGBACKREST_') && value !== undefined) env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn('pgbackrest', [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      // The postgres user may not enter the caller's folder; info needs none.
      cwd: '/',
      timeout: options.timeoutMs ?? TIMEOUT_MS,
      killSignal: 'SIGKILL',
      ...(user.switchUser ? { uid: user.uid, gid: user.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const at = (obj: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), obj);
const iso = (seconds: unknown): string => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : '');

/**
 * Reads `pgbackrest info --output=json` for one stanza. Its `system-id` is a 64-bit integer that
 * JSON.parse would round; it is read as text.
 */
export function readInfo(stdout: string, stanza: string): Omit<BackupStatus, 'at' | 'stanza' | 'config' | 'region' | 'warnings'> {
  const parsed: unknown = JSON.parse(stdout.replace(/"system-id"\s*:\s*(\d+)/g, '"system-id":"$1"'));
  if (!Array.isArray(parsed)) throw new Error('not a list of stanzas');
  const entry: unknown = parsed.find((s) => isObject(s) && s.name === stanza);
  if (!isObject(entry)) throw new Error(`no entry for stanza '${stanza}'`);
  const code = count(at(entry, 'status', 'code'));
  const pgMessage = text(at(entry, 'status', 'message')) ?? '';
  if (code === null) throw new Error('no status code');

  const dbs = (Array.isArray(entry.db) ? entry.db : []).filter(isObject);
  // The current database is the newest in the stanza's history (a major upgrade adds one).
  const current = dbs.reduce<Json | undefined>((best, db) => (best === undefined || (count(db.id) ?? 0) > (count(best.id) ?? 0) ? db : best), undefined);
  const database = current ? { version: text(current.version) ?? '?', systemId: String(current['system-id'] ?? '?') } : null;
  const currentId = current ? count(current.id) : null;

  const backups = (Array.isArray(entry.backup) ? entry.backup : []).filter(isObject).map(summary);
  // pgBackRest lists backups oldest first; order by stop time to be sure.
  backups.sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
  const lastFull = backups.filter((b) => b.type === 'full').at(-1) ?? null;
  const latest = backups.at(-1) ?? null;

  const archives = (Array.isArray(entry.archive) ? entry.archive : []).filter(isObject).filter((a) => currentId === null || count(at(a, 'database', 'id')) === currentId);
  const mins = archives.map((a) => text(a.min)).filter((v): v is string => v !== null).sort();
  const maxes = archives.map((a) => text(a.max)).filter((v): v is string => v !== null).sort();
  const archive = archives.length > 0 ? { min: mins[0] ?? null, max: maxes.at(-1) ?? null } : null;

  const backupRunning = at(entry, 'status', 'lock', 'backup', 'held') === true;
  const { status, message } = verdictOf(code, pgMessage, stanza, lastFull, archive);
  return { status, message, pgbackrest: { code, message: pgMessage }, database, lastFull, latest, backupCount: backups.length, archive, backupRunning };
}

function summary(b: Json): BackupSummary {
  return {
    label: text(b.label) ?? '?',
    type: text(b.type) ?? '?',
    startedAt: iso(at(b, 'timestamp', 'start')),
    stoppedAt: iso(at(b, 'timestamp', 'stop')),
    sizeBytes: count(at(b, 'info', 'size')),
    repositorySizeBytes: count(at(b, 'info', 'repository', 'size')),
    repositoryDeltaBytes: count(at(b, 'info', 'repository', 'delta')),
    walStart: text(at(b, 'archive', 'start')),
    walStop: text(at(b, 'archive', 'stop')),
    lsnStart: text(at(b, 'lsn', 'start')),
    lsnStop: text(at(b, 'lsn', 'stop')),
    prior: text(b.prior),
    repo: count(at(b, 'database', 'repo-key')),
    checksumErrors: b.error === true,
  };
}

/**
 * pgBackRest's stanza status codes (`src/command/info/info.c`): 0 ok, 1 missing stanza path,
 * 2 no valid backups, 3 missing stanza data, 4 different across repos, 5 database mismatch across
 * repos (later versions add 6, requested backup not found), 99 other. 1 and 2 were seen from
 * 2.45 here; the others are passed on as pgBackRest words them.
 */
function verdictOf(
  code: number,
  pgMessage: string,
  stanza: string,
  lastFull: BackupSummary | null,
  archive: BackupStatus['archive'],
): { status: BackupHealth; message: string } {
  switch (code) {
    case 0: {
      const full = lastFull ? `last full backup ${lastFull.label} at ${lastFull.stoppedAt}` : 'no full backup listed';
      return { status: 'ok', message: `ok: ${full}; WAL archived up to ${archive?.max ?? '(none yet)'}` };
    }
    case 1:
    case 3:
      return {
        status: 'stanza-missing',
        message: `stanza missing: the repository has no stanza '${stanza}' (pgBackRest: ${pgMessage}); create it: pgbackrest --stanza=${stanza} stanza-create`,
      };
    case 2:
      return {
        status: 'no-backup',
        message: `no backup yet: stanza '${stanza}' exists but holds no valid backup; take one: pgbackrest --stanza=${stanza} backup --type=full`,
      };
    default:
      return { status: 'error', message: `pgBackRest reports stanza '${stanza}': ${pgMessage} (status code ${code})` };
  }
}
