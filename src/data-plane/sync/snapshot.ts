import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../../lib/hash.js';
import type { CatalogEntry, ServedDecision, ServedToken } from './serving-source.js';

export interface SnapshotRelease {
  readonly id: string;
  readonly label: string;
  readonly contentHash: string;
  readonly decisions: readonly ServedDecision[];
}

/** Everything a node needs to serve with no database: written after every reload. */
export interface Snapshot {
  readonly version: 1;
  readonly takenAt: string;
  readonly changeCounter: number;
  readonly generation: number | null;
  readonly catalog: readonly (Omit<CatalogEntry, 'deployedAt'> & { deployedAt: string | null })[];
  readonly tokens: readonly ServedToken[];
  readonly releases: readonly SnapshotRelease[];
}

interface SnapshotFile {
  readonly sha256: string;
  readonly body: string;
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/**
 * The last-known-good serving state on local disk. The body is stored with its SHA-256 and checked
 * when read, so a torn or edited file is refused rather than served. Writes go to a temporary file
 * renamed into place (atomic on one file system), both synced to disk.
 */
export class SnapshotStore {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, 'serving-snapshot.json');
  }

  write(snapshot: Snapshot): void {
    const body = JSON.stringify(snapshot);
    const file: SnapshotFile = { sha256: sha256Hex(body), body };
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600); // holds token hashes: keep it private
    try {
      writeSync(fd, JSON.stringify(file));
      fsyncSync(fd); // on disk before the rename makes it the snapshot a restart relies on
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dir = openSync(path.dirname(this.file), 'r');
    try {
      fsyncSync(dir); // the rename itself survives a crash
    } finally {
      closeSync(dir);
    }
  }

  /** The snapshot, or undefined when there is none; throws when one exists but fails its hash. */
  read(): Snapshot | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let file: SnapshotFile;
    try {
      file = JSON.parse(text) as SnapshotFile;
    } catch {
      throw new SnapshotError(`${this.file} is not a snapshot file`);
    }
    if (typeof file.body !== 'string' || sha256Hex(file.body) !== file.sha256) {
      throw new SnapshotError(`${this.file} does not match its SHA-256: refusing to serve from it`);
    }
    const snapshot = JSON.parse(file.body) as Snapshot;
    if (snapshot.version !== 1) throw new SnapshotError(`${this.file} has an unknown snapshot version ${String(snapshot.version)}`);
    return snapshot;
  }
}
