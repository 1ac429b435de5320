import { randomUUID, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import yazl from 'yazl';
import { contentHash, sha256Hex } from '../../../src/lib/hash.js';
import { MANIFEST_FILE, SIGNATURE_FILE } from '../../../src/control-plane/packages/format.js';
import { signManifest } from '../../../src/control-plane/packages/signing.js';
import { readZip } from '../../../src/control-plane/packages/zip.js';
import { releaseContentHash } from '../../../src/control-plane/releases/service.js';
import { bigGoRulesZip } from '../../helpers/big-package.js';
import type { CorpusGraph } from '../harness/seed.js';
import { mutatedGraph, type MutatedGraph } from './jdm.js';
import { Raw, deepValue, hostileScalar, hostileString, hostileValue, nested, rawNumber, toJsonText, type Json } from './json.js';

/** Entry names a hostile archive uses (written over a placeholder after yazl, which refuses most of them). */
export const HOSTILE_NAMES = [
  '../evil.json',
  '../../../../tmp/evil.json',
  '/etc/evil.json',
  'C:/evil.json',
  'a\\..\\..\\evil.json',
  'a/../../evil.json',
  './a.json',
  'a/./b.json',
  'nul\u0000.json',
  '.config/../../evil.json',
  'é😀.json',
  'a'.repeat(300) + '.json',
  ' .json',
  'verdict-manifest.json/',
  '.json',
  'CON.json',
] as const;

export type ZipEdit =
  | { readonly edit: 'decision'; readonly pick: number; readonly graph: MutatedGraph }
  | { readonly edit: 'decision-text'; readonly pick: number; readonly text: string }
  | { readonly edit: 'manifest-field'; readonly field: string; readonly value: Json }
  | { readonly edit: 'manifest-text'; readonly text: string }
  | { readonly edit: 'signature-text'; readonly text: string }
  | { readonly edit: 'add-file'; readonly name: string; readonly text: string }
  | { readonly edit: 'drop-file'; readonly pick: number }
  | { readonly edit: 'duplicate'; readonly pick: number }
  | { readonly edit: 'rename'; readonly pick: number; readonly name: string }
  | { readonly edit: 'symlink'; readonly pick: number }
  | { readonly edit: 'project-config'; readonly value: Json };

export type ZipRecipe =
  | { readonly kind: 'exported'; readonly base: 'main' | 'pkg' }
  | { readonly kind: 'bytes'; readonly base: 'main' | 'pkg'; readonly ops: readonly { at: number; op: 'flip' | 'truncate' | 'append' | 'zero'; byte: number }[] }
  | {
      readonly kind: 'rebuilt';
      readonly base: 'main' | 'pkg';
      readonly edits: readonly ZipEdit[];
      /** Recompute file and content hashes (and the release hash) so the package gets past its integrity checks. */
      readonly fixHashes: boolean;
      /** A new release id and label, so the package applies instead of conflicting. */
      readonly newRelease: boolean;
      readonly signature: 'keep' | 'drop' | 'resign';
    }
  | { readonly kind: 'gorules'; readonly graphs: readonly MutatedGraph[]; readonly names: readonly string[] }
  | { readonly kind: 'heavy'; readonly which: 'ratio-bomb' | 'entry-too-large' | 'total-too-large' | 'many-entries' | 'size-lie' | 'encrypted' | 'nested-zip' | 'empty-zip' }
  | { readonly kind: 'not-a-zip'; readonly text: string };

const MANIFEST_FIELDS = [
  'formatVersion',
  'project',
  'project.key',
  'project.name',
  'release',
  'release.id',
  'release.label',
  'release.contentHash',
  'release.notes',
  'release.createdAt',
  'release.createdBy',
  'source.instance',
  'decisions',
  'decisions.0',
  'decisions.0.key',
  'decisions.0.path',
  'decisions.0.version',
  'decisions.0.contentHash',
  'files',
  'files.0.path',
  'files.0.sha256',
  '__proto__',
  'extra',
] as const;

const decisionText: fc.Arbitrary<string> = fc.oneof(
  deepValue.map((v) => `{"nodes":[],"edges":[],"x":${v.text}}`),
  rawNumber.map((n) => `{"nodes":[],"edges":[],"x":${n.text}}`),
  fc.constantFrom(
    '{"nodes":[],"edges":[],"x":"\\ud800"}',
    '{"nodes":[],"edges":[],"x":"\\u0000"}',
    '{"nodes":[],"edges":[],"\\u0000":1}',
    '{"nodes":[{"id":"in","type":"inputNode","name":"\\udfff"}],"edges":[]}',
    '{"__proto__":{"polluted":true},"nodes":[],"edges":[]}',
    '{"nodes":[],"edges":[],"constructor":{"prototype":{"x":1}}}',
    '\ufeff{"nodes":[],"edges":[]}',
    '{"nodes":[],"edges":[]',
    'null',
    '[]',
    '',
    '{"nodes":' + nested(70, 'array', '[]').text + ',"edges":[]}',
  ),
);

export function zipEdit(corpus: readonly CorpusGraph[]): fc.Arbitrary<ZipEdit> {
  return fc.oneof(
    { arbitrary: fc.record({ edit: fc.constant('decision' as const), pick: fc.nat(), graph: mutatedGraph(corpus, 3) }), weight: 8 },
    { arbitrary: fc.record({ edit: fc.constant('decision-text' as const), pick: fc.nat(), text: decisionText }), weight: 3 },
    { arbitrary: fc.record({ edit: fc.constant('manifest-field' as const), field: fc.constantFrom(...MANIFEST_FIELDS), value: fc.oneof(hostileValue, deepValue) }), weight: 4 },
    { arbitrary: fc.record({ edit: fc.constant('manifest-text' as const), text: decisionText }), weight: 1 },
    { arbitrary: fc.record({ edit: fc.constant('signature-text' as const), text: fc.oneof(decisionText, fc.constantFrom('{"algorithm":"ed25519","keyId":"0000000000000000","signature":"AAAA"}', '{"algorithm":"rsa","keyId":"x","signature":""}')) }), weight: 1 },
    { arbitrary: fc.record({ edit: fc.constant('add-file' as const), name: fc.oneof(fc.constantFrom(...HOSTILE_NAMES), fc.constantFrom('extra.json', 'rules/new.json', '.config/x.json')), text: decisionText }), weight: 2 },
    { arbitrary: fc.record({ edit: fc.constant('drop-file' as const), pick: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ edit: fc.constant('duplicate' as const), pick: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ edit: fc.constant('rename' as const), pick: fc.nat(), name: fc.constantFrom(...HOSTILE_NAMES) }), weight: 2 },
    { arbitrary: fc.record({ edit: fc.constant('symlink' as const), pick: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ edit: fc.constant('project-config' as const), value: hostileValue }), weight: 1 },
  );
}

export function zipRecipe(corpus: readonly CorpusGraph[]): fc.Arbitrary<ZipRecipe> {
  const base = fc.constantFrom<'main' | 'pkg'>('main', 'pkg');
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('exported' as const), base }), weight: 2 },
    {
      arbitrary: fc.record({
        kind: fc.constant('bytes' as const),
        base,
        ops: fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom<'flip' | 'truncate' | 'append' | 'zero'>('flip', 'truncate', 'append', 'zero'), byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 4 }),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('rebuilt' as const),
        base,
        edits: fc.array(zipEdit(corpus), { minLength: 0, maxLength: 2 }),
        fixHashes: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
        newRelease: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
        signature: fc.constantFrom<'keep' | 'drop' | 'resign'>('keep', 'drop', 'resign'),
      }),
      weight: 8,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('gorules' as const),
        graphs: fc.array(mutatedGraph(corpus), { minLength: 1, maxLength: 3 }),
        names: fc.array(fc.oneof(fc.constantFrom('rules/a.json', 'b.json', 'deep/er/c.json', '.config/project.json', 'test.json'), fc.constantFrom(...HOSTILE_NAMES)), { minLength: 3, maxLength: 3 }),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('heavy' as const),
        which: fc.constantFrom('ratio-bomb' as const, 'entry-too-large' as const, 'total-too-large' as const, 'many-entries' as const, 'size-lie' as const, 'encrypted' as const, 'nested-zip' as const, 'empty-zip' as const),
      }),
      weight: 1,
    },
    { arbitrary: fc.record({ kind: fc.constant('not-a-zip' as const), text: fc.oneof(hostileString, fc.constantFrom('PK\u0003\u0004', 'PK\u0005\u0006' + '\u0000'.repeat(18), '{"context":{}}')) }), weight: 1 },
  );
}

interface Entry {
  name: string;
  data: Buffer;
  mode?: number;
}

/** Builds the zips recipes describe. Heavy ones are built once and kept. */
export class ZipFactory {
  readonly #bases: Record<'main' | 'pkg', Buffer>;
  readonly #files = new Map<'main' | 'pkg', Promise<Map<string, Buffer>>>();
  readonly #heavy = new Map<string, Promise<Buffer>>();
  #labels = 0;

  constructor(
    bases: { main: Buffer; pkg: Buffer },
    private readonly signingKey: KeyObject,
  ) {
    this.#bases = bases;
  }

  async build(recipe: ZipRecipe): Promise<Buffer> {
    switch (recipe.kind) {
      case 'exported':
        return this.#bases[recipe.base];
      case 'bytes':
        return mutateBytes(this.#bases[recipe.base], recipe.ops);
      case 'rebuilt':
        return this.#rebuild(recipe);
      case 'gorules':
        return writeEntries(recipe.graphs.map((g, i) => ({ name: recipe.names[i] ?? `g${i}.json`, data: Buffer.from(toJsonText(g.doc)) })));
      case 'heavy': {
        let built = this.#heavy.get(recipe.which);
        if (!built) {
          built = this.#buildHeavy(recipe.which);
          this.#heavy.set(recipe.which, built);
        }
        return built;
      }
      case 'not-a-zip':
        return Buffer.from(recipe.text);
    }
  }

  #baseFiles(base: 'main' | 'pkg'): Promise<Map<string, Buffer>> {
    let files = this.#files.get(base);
    if (!files) {
      files = readZip(this.#bases[base]);
      this.#files.set(base, files);
    }
    return files;
  }

  async #rebuild(recipe: Extract<ZipRecipe, { kind: 'rebuilt' }>): Promise<Buffer> {
    const files = new Map(await this.#baseFiles(recipe.base));
    let entries: Entry[] = [...files].map(([name, data]) => ({ name, data }));
    const manifest = JSON.parse(files.get(MANIFEST_FILE)!.toString('utf8')) as any;
    let manifestText: string | undefined;
    const decisionFiles = () => entries.filter((e) => e.name !== MANIFEST_FILE && e.name !== SIGNATURE_FILE && !e.name.startsWith('.config/'));
    for (const edit of recipe.edits) {
      switch (edit.edit) {
        case 'decision': {
          const target = at(decisionFiles(), edit.pick);
          if (target) target.data = Buffer.from(toJsonText(edit.graph.doc));
          break;
        }
        case 'decision-text': {
          const target = at(decisionFiles(), edit.pick);
          if (target) target.data = Buffer.from(edit.text);
          break;
        }
        case 'manifest-field':
          setPath(manifest, edit.field, edit.value);
          break;
        case 'manifest-text':
          manifestText = edit.text;
          break;
        case 'signature-text':
          entries = entries.filter((e) => e.name !== SIGNATURE_FILE);
          entries.push({ name: SIGNATURE_FILE, data: Buffer.from(edit.text) });
          break;
        case 'add-file':
          entries.push({ name: edit.name, data: Buffer.from(edit.text) });
          break;
        case 'drop-file':
          entries.splice(edit.pick % entries.length, 1);
          break;
        case 'duplicate': {
          const target = at(entries, edit.pick);
          if (target) entries.push({ ...target });
          break;
        }
        case 'rename': {
          const target = at(entries, edit.pick);
          if (target) target.name = edit.name;
          break;
        }
        case 'symlink': {
          const target = at(entries, edit.pick);
          if (target) target.mode = 0o120777;
          break;
        }
        case 'project-config': {
          const target = entries.find((e) => e.name === '.config/project.json');
          if (target) target.data = Buffer.from(toJsonText(edit.value));
          break;
        }
      }
    }
    if (recipe.newRelease && manifest?.release && typeof manifest.release === 'object') {
      manifest.release.id = randomUUID();
      manifest.release.label = `fz-${process.pid}-${++this.#labels}`;
    }
    if (recipe.fixHashes && Array.isArray(manifest?.decisions) && Array.isArray(manifest?.files)) fixHashes(manifest, entries);
    const manifestBytes = Buffer.from(manifestText ?? `${toJsonText(manifest as Json)}\n`);
    entries = entries.filter((e) => e.name !== MANIFEST_FILE);
    entries.push({ name: MANIFEST_FILE, data: manifestBytes });
    if (recipe.signature === 'drop') entries = entries.filter((e) => e.name !== SIGNATURE_FILE);
    if (recipe.signature === 'resign') {
      entries = entries.filter((e) => e.name !== SIGNATURE_FILE);
      entries.push({ name: SIGNATURE_FILE, data: Buffer.from(JSON.stringify({ algorithm: 'ed25519', ...signManifest(manifestBytes, this.signingKey) })) });
    }
    return writeEntries(entries);
  }

  async #buildHeavy(which: Extract<ZipRecipe, { kind: 'heavy' }>['which']): Promise<Buffer> {
    switch (which) {
      case 'ratio-bomb': {
        // 30 MiB of spaces inside one JSON string: deflates about 1000x.
        const size = 30 * 1024 * 1024;
        let sent = 0;
        const stream = new Readable({
          read() {
            if (sent === 0) this.push('{"nodes":[],"edges":[],"pad":"');
            if (sent >= size) {
              this.push('"}');
              this.push(null);
              return;
            }
            const chunk = Math.min(1024 * 1024, size - sent);
            sent += chunk;
            this.push(Buffer.alloc(chunk, 0x20));
          },
        });
        const zip = new yazl.ZipFile();
        zip.addReadStream(stream, 'bomb.json');
        zip.end();
        return collect(zip);
      }
      case 'entry-too-large':
        return bigGoRulesZip(1, 5);
      case 'total-too-large':
        return bigGoRulesZip(5, 3.5);
      case 'many-entries': {
        const entries: Entry[] = [];
        for (let i = 0; i < 20_001; i++) entries.push({ name: `d/${i}.json`, data: Buffer.from('{}') });
        return writeEntries(entries);
      }
      case 'size-lie':
        return patchCentralDirectory(this.#bases.pkg, (entry) => entry.writeUInt32LE(10, 24));
      case 'encrypted':
        return patchCentralDirectory(this.#bases.pkg, (entry) => entry.writeUInt16LE(entry.readUInt16LE(8) | 1, 8));
      case 'nested-zip':
        return writeEntries([{ name: 'inner.json', data: this.#bases.pkg }, { name: 'inner.zip', data: this.#bases.main }]);
      case 'empty-zip':
        return writeEntries([]);
    }
  }
}

const at = <T>(list: readonly T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined);

function setPath(target: any, path: string, value: Json): void {
  const parts = path.split('.');
  let holder = target;
  for (const part of parts.slice(0, -1)) {
    if (holder === null || typeof holder !== 'object') return;
    holder = holder[part];
  }
  if (holder === null || typeof holder !== 'object') return;
  // A computed member keeps '__proto__' an own member when it is written out.
  Object.defineProperty(holder, parts[parts.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
}

/** Makes the manifest agree with the files, as far as their content can be hashed. */
function fixHashes(manifest: any, entries: Entry[]): void {
  const byName = new Map(entries.map((e) => [e.name, e]));
  manifest.files = entries.filter((e) => e.name !== MANIFEST_FILE && e.name !== SIGNATURE_FILE).map((e) => ({ path: e.name, sha256: sha256Hex(e.data) }));
  for (const d of manifest.decisions) {
    if (!d || typeof d !== 'object' || typeof d.path !== 'string') continue;
    const entry = byName.get(d.path);
    if (!entry) continue;
    d.sha256 = sha256Hex(entry.data);
    try {
      d.contentHash = contentHash(JSON.parse(entry.data.toString('utf8')));
    } catch {
      // not hashable: the server must say so
    }
  }
  try {
    manifest.release.contentHash = releaseContentHash(manifest.decisions);
  } catch {
    // a hostile decisions list
  }
}

function mutateBytes(zip: Buffer, ops: readonly { at: number; op: 'flip' | 'truncate' | 'append' | 'zero'; byte: number }[]): Buffer {
  let out = Buffer.from(zip);
  for (const { at: where, op, byte } of ops) {
    const i = where % Math.max(1, out.length);
    if (op === 'flip' && out.length) out[i] = out[i]! ^ (byte || 1);
    else if (op === 'zero' && out.length) out.fill(0, i, Math.min(out.length, i + 1 + (byte % 16)));
    else if (op === 'truncate') out = out.subarray(0, i);
    else if (op === 'append') out = Buffer.concat([out, Buffer.alloc(1 + byte, byte)]);
  }
  return out;
}

/** yazl refuses unsafe names: they are written over placeholders of the same byte length afterwards. */
async function writeEntries(entries: readonly Entry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const patches: [Buffer, Buffer][] = [];
  entries.forEach((entry, i) => {
    const wanted = Buffer.from(entry.name, 'utf8');
    let name = entry.name;
    if (!safeForYazl(entry.name)) {
      const tag = `~${i}~`;
      name = (tag + 'q'.repeat(Math.max(0, wanted.length - tag.length))).slice(0, Math.max(wanted.length, tag.length));
      if (Buffer.byteLength(name) === wanted.length) patches.push([Buffer.from(name), wanted]);
      else name = `unsafe-${i}.json`; // too short to patch; keep it simple
    }
    zip.addBuffer(entry.data, name, { mode: entry.mode ?? 0o100644, compress: true, mtime: new Date(Date.UTC(2000, 0, 1)) });
  });
  zip.end();
  let out = await collect(zip);
  for (const [from, to] of patches) out = replaceAll(out, from, to);
  return out;
}

function safeForYazl(name: string): boolean {
  if (name === '' || name.includes('\\') || name.includes('\0') || name.endsWith('/')) return false;
  if (/^[a-zA-Z]:/.test(name) || name.startsWith('/')) return false;
  return !name.split('/').includes('..');
}

function replaceAll(data: Buffer, from: Buffer, to: Buffer): Buffer {
  const out = Buffer.from(data);
  let i = out.indexOf(from);
  while (i >= 0) {
    to.copy(out, i);
    i = out.indexOf(from, i + from.length);
  }
  return out;
}

function collect(zip: yazl.ZipFile): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Rewrites every central directory record of a zip (46-byte headers, found from the end record). */
function patchCentralDirectory(zip: Buffer, patch: (record: Buffer) => void): Buffer {
  const out = Buffer.from(zip);
  const eocd = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) return out;
  const count = out.readUInt16LE(eocd + 10);
  let offset = out.readUInt32LE(eocd + 16);
  for (let i = 0; i < count && offset + 46 <= out.length; i++) {
    if (out.readUInt32LE(offset) !== 0x02014b50) break;
    const record = out.subarray(offset, offset + 46);
    const length = 46 + out.readUInt16LE(offset + 28) + out.readUInt16LE(offset + 30) + out.readUInt16LE(offset + 32);
    // Only decision files: the manifest must still be readable for the lie to matter.
    const name = out.subarray(offset + 46, offset + 46 + out.readUInt16LE(offset + 28)).toString('utf8');
    if (!name.startsWith('verdict-manifest') && !name.startsWith('.config')) patch(record);
    offset += length;
  }
  return out;
}

export { Raw, hostileScalar };
