import { Compile } from 'typebox/compile';
import { AppError } from '../../errors.js';
import { assertNever } from '../../lib/assert-never.js';
import { contentHash, sha256Hex } from '../../lib/hash.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { decisionKeyProblem, normalizeDecisionKey } from '../../lib/decision-keys.js';
import { releaseContentHash } from '../releases/service.js';
import { FORMAT_VERSION, LIMITS, MANIFEST_FILE, ManifestSchema, SIGNATURE_FILE, SignatureSchema, decisionPath, type Manifest, type PackageLimits, type Signature } from './format.js';
import { GraphSizeCounter } from './graph-size.js';
import { describeJsonProblem, jsonProblem } from '../../lib/json-limits.js';
import { DEFAULT_JDM_LIMITS } from '../decisions/validate.js';
import { ZipError, readZip, type EntryObserver } from './zip.js';

export interface PackagedDecision {
  readonly key: string;
  readonly content: JdmDocument;
  readonly contentHash: string;
  /** Size of its file: what parsing and validating it costs grows with it. */
  readonly bytes: number;
}

/** A package as read: `D` is what each decision carries (a server's main thread gets only hashes first). */
export type ParsedPackage<D extends { key: string; contentHash: string } = PackagedDecision> =
  | {
      readonly kind: 'verdict';
      readonly manifest: Manifest;
      readonly manifestBytes: Buffer;
      readonly signature: Signature | undefined;
      readonly decisions: readonly D[];
    }
  | { readonly kind: 'gorules'; readonly decisions: readonly D[] };

/** A Verdict package's manifest; a GoRules export has none (and so no id, label or source of its own). */
export function manifestOf(pkg: ParsedPackage<{ key: string; contentHash: string }>): Manifest | undefined {
  switch (pkg.kind) {
    case 'verdict':
      return pkg.manifest;
    case 'gorules':
      return undefined;
    default:
      return assertNever(pkg, 'package kind');
  }
}

const manifestValidator = Compile(ManifestSchema);
const RELEASE_LABEL = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const signatureValidator = Compile(SignatureSchema);

export const invalidPackage = (detail: string) => new AppError('invalid-package', detail);

function parseJson(name: string, data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw invalidPackage(`${name} is not valid JSON (${(error as Error).message})`);
  }
}

/** The canonical hash; a document nested too deep to canonicalize is refused, not a server error. */
function hashOf(name: string, content: unknown): string {
  try {
    return contentHash(content);
  } catch (error) {
    throw invalidPackage(`${name} cannot be hashed (${(error as Error).message})`);
  }
}

function asDecision(name: string, value: unknown, maxDepth: number): JdmDocument {
  const doc = value as Partial<JdmDocument> | null;
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.nodes) || !Array.isArray(doc.edges)) {
    throw invalidPackage(`${name} is not a JDM decision (it needs nodes and edges arrays)`);
  }
  // Before hashing (canonical JSON recurses) and before the engine sees it (it crashes on deep values).
  const problem = jsonProblem(doc, { maxDepth });
  if (problem) throw invalidPackage(describeJsonProblem(problem, name));
  return doc as JdmDocument;
}

/**
 * Reads and verifies a package: every listed file present with its SHA-256, nothing unlisted,
 * every decision's canonical content hash and the release hash recomputed. The signature is
 * parsed here and checked against trusted keys by the caller. A zip without a manifest is read as
 * a GoRules release export.
 */
export async function parsePackage(buffer: Buffer, limits: PackageLimits = LIMITS): Promise<ParsedPackage> {
  let files: Map<string, Buffer>;
  try {
    files = await readZip(buffer, limits, graphSizeObserver(limits));
  } catch (error) {
    if (error instanceof ZipError) {
      switch (error.reason) {
        case 'too-large':
          throw new AppError('payload-too-large', error.message, { expandedLimitBytes: limits.maxTotalBytes, entryLimitBytes: limits.maxEntryBytes });
        case 'malformed':
          throw invalidPackage(error.message);
        default:
          return assertNever(error.reason, 'zip error reason');
      }
    }
    throw error;
  }
  const manifestBytes = files.get(MANIFEST_FILE);
  if (!manifestBytes) return { kind: 'gorules', decisions: goRulesDecisions(files, limits.graph?.maxJsonDepth ?? DEFAULT_JDM_LIMITS.maxJsonDepth) };

  const raw = parseJson(MANIFEST_FILE, manifestBytes) as { formatVersion?: unknown };
  if (raw?.formatVersion !== FORMAT_VERSION) {
    throw invalidPackage(
      typeof raw?.formatVersion === 'number' && raw.formatVersion > FORMAT_VERSION
        ? `package format version ${raw.formatVersion} is newer than this Verdict understands (${FORMAT_VERSION}); upgrade Verdict`
        : `unsupported package format version ${JSON.stringify(raw?.formatVersion)} (this Verdict reads version ${FORMAT_VERSION})`,
    );
  }
  if (!manifestValidator.Check(raw)) {
    const [first] = manifestValidator.Errors(raw);
    throw invalidPackage(`${MANIFEST_FILE} is malformed: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
  }
  const manifest = raw as Manifest;

  const listed = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  for (const [path, expected] of listed) {
    const data = files.get(path);
    if (!data) throw invalidPackage(`${path} is listed in the manifest but missing from the package`);
    if (sha256Hex(data) !== expected) throw invalidPackage(`${path} does not match its SHA-256 in the manifest: the package was modified`);
  }
  for (const path of files.keys()) {
    if (path !== MANIFEST_FILE && path !== SIGNATURE_FILE && !listed.has(path)) {
      throw invalidPackage(`${path} is in the package but not in the manifest: the package was modified`);
    }
  }

  const label = manifest.release.label;
  if (!RELEASE_LABEL.test(label) || label === 'latest' || UUID.test(label)) {
    throw invalidPackage(`the release label '${label}' is not valid (letters, digits, . _ + -; not 'latest' nor an id)`);
  }
  const keys = new Set<string>();
  const decisions = manifest.decisions.map((d) => {
    if (keys.has(d.key)) throw invalidPackage(`decision '${d.key}' is listed twice in the manifest`);
    keys.add(d.key);
    const problem = decisionKeyProblem(d.key);
    if (problem) throw invalidPackage(`decision key in the manifest: ${problem}`);
    if (d.path !== decisionPath(d.key) || listed.get(d.path) !== d.sha256) {
      throw invalidPackage(`decision '${d.key}' does not match its file entry in the manifest`);
    }
    const data = files.get(d.path)!;
    const content = asDecision(d.path, parseJson(d.path, data), limits.graph?.maxJsonDepth ?? DEFAULT_JDM_LIMITS.maxJsonDepth);
    const hash = hashOf(d.path, content);
    if (hash !== d.contentHash) throw invalidPackage(`decision '${d.key}' does not match its content hash in the manifest`);
    return { key: d.key, content, contentHash: hash, bytes: data.length };
  });
  if (releaseContentHash(decisions) !== manifest.release.contentHash) {
    throw invalidPackage(`the decisions do not add up to release ${manifest.release.label}'s content hash`);
  }

  let signature: Signature | undefined;
  const signatureBytes = files.get(SIGNATURE_FILE);
  if (signatureBytes) {
    const parsed = parseJson(SIGNATURE_FILE, signatureBytes);
    if (!signatureValidator.Check(parsed)) throw invalidPackage(`${SIGNATURE_FILE} is malformed`);
    signature = parsed as Signature;
  }
  return { kind: 'verdict', manifest, manifestBytes, signature, decisions };
}

/** Counts the nodes and edges of every file that may be a decision while it inflates (when limits.graph is set). */
function graphSizeObserver(limits: PackageLimits): ((name: string) => EntryObserver | undefined) | undefined {
  const graph = limits.graph;
  if (!graph) return undefined;
  return (name) => {
    if (name === MANIFEST_FILE || name === SIGNATURE_FILE || name.split('/')[0] === '.config') return undefined;
    const counter = new GraphSizeCounter(name, graph);
    return (chunk) => counter.push(chunk);
  };
}

/**
 * A GoRules release export, read as the GoRules Agent reads it: every file outside `.config/` is
 * JSON; graphs are decisions keyed by their path (a `.json` suffix dropped), test files and other
 * documents are skipped.
 */
function goRulesDecisions(files: Map<string, Buffer>, maxDepth: number): PackagedDecision[] {
  const decisions: PackagedDecision[] = [];
  for (const [path, data] of files) {
    if (path.split('/')[0] === '.config') continue;
    const parsed = parseJson(path, data) as { nodes?: unknown; edges?: unknown; contentType?: unknown } | null;
    if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.nodes) || !Array.isArray(parsed.edges) || parsed.contentType === 'test') continue;
    const key = normalizeDecisionKey(path);
    const problem = decisionKeyProblem(key);
    if (problem) throw invalidPackage(`${path}: ${problem}`);
    if (decisions.some((d) => d.key === key)) throw invalidPackage(`${path}: another file in the zip is also decision '${key}'`);
    const content = asDecision(path, parsed, maxDepth);
    decisions.push({ key, content, contentHash: hashOf(path, content), bytes: data.length });
  }
  if (decisions.length === 0) throw invalidPackage('the zip holds neither a Verdict manifest nor any decision (.json) files');
  return decisions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
