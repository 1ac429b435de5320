import yauzl from 'yauzl';
import yazl from 'yazl';
import { LIMITS } from './format.js';

export interface ZipFileEntry {
  readonly path: string;
  readonly data: Buffer;
}

export class ZipError extends Error {
  override name = 'ZipError';
}

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

/**
 * Reads every file of a zip into memory, refusing what a hostile archive could do: unsafe paths,
 * symbolic links, duplicate names, encryption, too many entries, entries or totals larger than the
 * limits, and compression ratios no JSON reaches. Sizes are enforced while inflating, not trusted
 * from the headers.
 */
export async function readZip(buffer: Buffer, limits = LIMITS): Promise<Map<string, Buffer>> {
  let zip: yauzl.ZipFile;
  try {
    // Names are decoded here, not by yauzl, so an unsafe name gets our own precise refusal.
    zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true, validateEntrySizes: true, decodeStrings: false });
  } catch (error) {
    throw new ZipError(`not a readable zip file (${(error as Error).message})`);
  }
  if (zip.entryCount > limits.maxEntries) throw new ZipError(`the zip has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted`);
  const files = new Map<string, Buffer>();
  let total = 0;
  try {
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
      if (files.has(name)) throw new ZipError(`entry '${name}' appears twice`);
      if (entry.uncompressedSize > limits.maxEntryBytes) throw new ZipError(`entry '${name}' is larger than ${limits.maxEntryBytes} bytes`);
      if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > entry.compressedSize * limits.maxCompressionRatio) {
        throw new ZipError(`entry '${name}' expands ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))}x; refusing a likely zip bomb`);
      }
      const data = await readEntry(zip, entry, limits.maxEntryBytes);
      total += data.length;
      if (total > limits.maxTotalBytes) throw new ZipError(`the zip expands to more than ${limits.maxTotalBytes} bytes`);
      // Many small entries can be a bomb too: the archive as a whole may not expand past the ratio.
      if (total > 1024 * 1024 && total > buffer.length * limits.maxCompressionRatio) {
        throw new ZipError(`the zip expands more than ${limits.maxCompressionRatio}x its size; refusing a likely zip bomb`);
      }
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

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new ZipError(`an entry inflates beyond ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
