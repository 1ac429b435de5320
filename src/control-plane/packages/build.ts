import type { KeyObject } from 'node:crypto';
import { sha256Hex } from '../../lib/hash.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { FORMAT_VERSION, MANIFEST_FILE, PROJECT_CONFIG_FILE, SIGNATURE_FILE, decisionPath, type Manifest, type Signature } from './format.js';
import { signManifest } from './signing.js';
import { readZip, writeZip, type ZipFileEntry } from './zip.js';

export interface PackageInput {
  readonly project: { readonly id: string; readonly key: string; readonly name: string };
  readonly release: Manifest['release'];
  readonly instance: string;
  readonly decisions: readonly { key: string; version: number; contentHash: string; content: JdmDocument }[];
}

const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/**
 * A release package: the GoRules release layout (`.config/project.json` and one `<key>.json` per
 * decision) plus `verdict-manifest.json` with hashes of every file, and optionally
 * `verdict-manifest.sig`. The same release always gives the same bytes.
 */
export async function buildPackage(input: PackageInput, privateKey?: KeyObject): Promise<Buffer> {
  const files: ZipFileEntry[] = [
    { path: PROJECT_CONFIG_FILE, data: json(projectConfig(input, [])) },
    ...input.decisions.map((d) => ({ path: decisionPath(d.key), data: json(d.content) })),
  ];
  const sha = new Map(files.map((f) => [f.path, sha256Hex(f.data)]));
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    project: { key: input.project.key, name: input.project.name },
    release: input.release,
    source: { instance: input.instance },
    decisions: [...input.decisions]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((d) => ({ key: d.key, path: decisionPath(d.key), version: d.version, contentHash: d.contentHash, sha256: sha.get(decisionPath(d.key))! })),
    files: files.map((f) => ({ path: f.path, sha256: sha.get(f.path)! })).sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  const manifestBytes = json(manifest);
  const entries = [...files, { path: MANIFEST_FILE, data: manifestBytes }];
  if (privateKey) entries.push({ path: SIGNATURE_FILE, data: signatureFile(manifestBytes, privateKey) });
  return writeZip(entries);
}

function signatureFile(manifestBytes: Buffer, privateKey: KeyObject): Buffer {
  const signature: Signature = { algorithm: 'ed25519', ...signManifest(manifestBytes, privateKey) };
  return json(signature);
}

/** Adds (or replaces) the signature of an existing package, keeping every other byte of content. */
export async function signPackage(zip: Buffer, privateKey: KeyObject): Promise<Buffer> {
  const files = await readZip(zip);
  const manifest = files.get(MANIFEST_FILE);
  if (!manifest) throw new Error(`the zip has no ${MANIFEST_FILE}: not a Verdict release package`);
  files.set(SIGNATURE_FILE, signatureFile(manifest, privateKey));
  return writeZip([...files].map(([path, data]) => ({ path, data })));
}

/**
 * `.config/project.json` in the shape GoRules BRMS ships and the GoRules Agent reads. The agent
 * admits a request only if its X-Access-Token is one of `accessTokens` (in plain text); Verdict
 * stores token hashes only, so tokens appear here only when a user passes them explicitly.
 */
export function projectConfig(input: Pick<PackageInput, 'project' | 'release'>, accessTokens: readonly string[], environment?: { id: string; key: string; name: string }) {
  return {
    version: '1',
    project: { id: input.project.id, key: input.project.key, name: input.project.name },
    accessTokens,
    release: { id: input.release.id, version: input.release.label, name: input.release.label, status: 'published', commitId: input.release.contentHash },
    ...(environment ? { environment } : {}),
  };
}

/**
 * A zip for the GoRules Agent's Zip provider (save it as `<root>/<project>.zip`) or, unpacked into
 * `<root>/<project>/`, its Filesystem provider. Without access tokens the `.config` is left out:
 * the agent then admits every request, so it must be protected by the network instead.
 */
export async function buildAgentPackage(
  input: PackageInput,
  options: { accessTokens: readonly string[]; environment?: { id: string; key: string; name: string } },
): Promise<Buffer> {
  const files: ZipFileEntry[] = input.decisions.map((d) => ({ path: decisionPath(d.key), data: json(d.content) }));
  if (options.accessTokens.length > 0) files.push({ path: PROJECT_CONFIG_FILE, data: json(projectConfig(input, options.accessTokens, options.environment)) });
  return writeZip(files);
}
