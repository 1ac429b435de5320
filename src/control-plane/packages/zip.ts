import yauzl from 'yauzl';
import yazl from 'yazl';
import { LIMITS, type PackageLimits } from './format.js';

export interface ZipFileEntry {
  readonly path: string;
  readonly data: Buffer;
}

/** Why a zip was refused: `too-large` (within the format, over a size limit) or anything else wrong with it. */
export class ZipError extends Error {
  override name = 'ZipError';
  constructor(
    message: string,
    readonly reason: 'malformed' | 'too-large' = 'malformed',
  ) {
    super(message);
  }
}

/** Sees an entry's bytes as they inflate; what it throws refuses the zip (e.g. a graph too large to parse). */
export type EntryObserver = (chunk: Buffer) => void;

// Fixed metadata so the same content always gives the same bytes.
const FIXED_MTIME = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));

/** A deterministic zip: entries sorted by path, fixed timestamps and modes. */
export function writeZip(entries: readonly ZipFileEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    zip.addBuffer(entry.data, entry.path, { mtime: FIXED_MTIME, mode: 0o100644, compress: true });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Why an entry name is unsafe to honour, or undefined. */
export function unsafePath(name: string): string | undefined {
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is absolute';
  if (name.split('/').some((part) => part === '..' || part === '.')) return "contains '.' or '..' segments";
  if (name.includes('\0')) return 'contains a NUL byte';
  return undefined;
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * Reads every file of a zip into memory, refusing what a hostile archive could do: unsafe paths,
 * symbolic links, duplicate names, encryption, too many entries, entries or totals larger than the
 * limits, and compression ratios no JSON reaches. The central directory is checked first, so a zip
 * that declares too much is refused before anything inflates; sizes are enforced again while
 * inflating (yauzl also fails an entry whose real size differs from the declared one).
 */
export async function readZip(buffer: Buffer, limits: PackageLimits = LIMITS, observe?: (name: string) => EntryObserver | undefined): Promise<Map<string, Buffer>> {
  let zip: yauzl.ZipFile;
  try {
    // Names are decoded here, not by yauzl, so an unsafe name gets our own precise refusal.
    zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true, validateEntrySizes: true, decodeStrings: false });
  } catch (error) {
    throw new ZipError(`not a readable zip file (${(error as Error).message})`);
  }
  if (zip.entryCount > limits.maxEntries) throw new ZipError(`the zip has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted`);
  const files = new Map<string, Buffer>();
  try {
    const entries = await listEntries(zip, buffer.length, limits);
    let total = 0;
    for (const { name, entry } of entries) {
      const data = await readEntry(zip, entry, limits.maxEntryBytes, observe?.(name));
      total += data.length;
      if (total > limits.maxTotalBytes) throw new ZipError(`the zip expands to more than ${mib(limits.maxTotalBytes)}`, 'too-large');
      files.set(name, data);
    }
  } catch (error) {
    if (error instanceof ZipError) throw error;
    throw new ZipError(`the zip is damaged (${(error as Error).message})`);
  } finally {
    zip.close();
  }
  return files;
}

/** Every file entry of the central directory, checked by what it declares, before any inflates. */
async function listEntries(zip: yauzl.ZipFile, zipBytes: number, limits: PackageLimits): Promise<{ name: string; entry: yauzl.Entry }[]> {
  const entries: { name: string; entry: yauzl.Entry }[] = [];
  const names = new Set<string>();
  let declared = 0;
  for (;;) {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      zip.once('entry', resolve);
      zip.once('end', () => resolve(undefined));
      zip.once('error', reject);
      zip.readEntry();
    });
    zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
    if (!entry) break;
    const name = (entry.fileName as unknown as Buffer).toString('utf8');
    if (name.endsWith('/')) continue; // directory record
    const problem = unsafePath(name);
    if (problem) throw new ZipError(`entry '${name}' ${problem}; refusing the package`);
    const unixMode = (entry.externalFileAttributes >>> 16) & 0o170000;
    if (unixMode === 0o120000) throw new ZipError(`entry '${name}' is a symbolic link; refusing the package`);
    if (entry.isEncrypted()) throw new ZipError(`entry '${name}' is encrypted`);
    if (names.has(name)) throw new ZipError(`entry '${name}' appears twice`);
    names.add(name);
    // A bomb is told apart from a large package first: it is refused as malformed, not as too large.
    if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > entry.compressedSize * limits.maxCompressionRatio) {
      throw new ZipError(`entry '${name}' expands ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))}x; refusing a likely zip bomb`);
    }
    if (entry.uncompressedSize > limits.maxEntryBytes) {
      throw new ZipError(`entry '${name}' expands to ${mib(entry.uncompressedSize)}; at most ${mib(limits.maxEntryBytes)} per file are accepted`, 'too-large');
    }
    declared += entry.uncompressedSize;
    entries.push({ name, entry });
  }
  // Many small entries can be a bomb too: the archive as a whole may not expand past the ratio.
  if (declared > 1024 * 1024 && declared > zipBytes * limits.maxCompressionRatio) {
    throw new ZipError(`the zip expands more than ${limits.maxCompressionRatio}x its size; refusing a likely zip bomb`);
  }
  if (declared > limits.maxTotalBytes) {
    throw new ZipError(`the zip expands to ${mib(declared)}; at most ${mib(limits.maxTotalBytes)} in all are accepted`, 'too-large');
  }
  return entries;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number, observe: EntryObserver | undefined): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new ZipError(`an entry inflates beyond ${mib(maxBytes)}`, 'too-large');
      try {
        observe?.(chunk);
      } catch (error) {
        throw new ZipError((error as Error).message);
      }
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
