import { Type, type Static } from 'typebox';
import { MAX_ENTRY_LIMIT_BYTES, MAX_EXPANDED_LIMIT_BYTES } from './limits.js';

/** Names inside a package zip. */
export const MANIFEST_FILE = 'verdict-manifest.json';
export const SIGNATURE_FILE = 'verdict-manifest.sig';
export const PROJECT_CONFIG_FILE = '.config/project.json';
export const FORMAT_VERSION = 1;

/**
 * Hard limits for reading a zip anywhere (the CLI checks a package before uploading it): far above
 * real packages, low enough to refuse zip bombs. A server applies lower limits of its own
 * (limits.ts), and refuses decisions larger than the graph validator accepts while they inflate.
 */
export const LIMITS = Object.freeze({
  maxEntries: 20_000,
  maxEntryBytes: MAX_ENTRY_LIMIT_BYTES,
  maxTotalBytes: MAX_EXPANDED_LIMIT_BYTES,
  /** Uncompressed/compressed beyond this (for entries over 1 MiB) is a bomb, not JSON. */
  maxCompressionRatio: 200,
});

export interface PackageLimits {
  readonly maxEntries: number;
  readonly maxEntryBytes: number;
  readonly maxTotalBytes: number;
  readonly maxCompressionRatio: number;
  /** Most nodes and edges of one decision, counted as its file inflates (unchecked when absent). */
  readonly graph?: { readonly maxNodes: number; readonly maxEdges: number; readonly maxJsonDepth?: number };
}

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const ManifestSchema = Type.Object(
  {
    formatVersion: Type.Integer(),
    project: Type.Object({ key: Type.String(), name: Type.String() }, { additionalProperties: false }),
    release: Type.Object(
      {
        id: Type.String({ format: 'uuid' }),
        label: Type.String(),
        contentHash: Sha256,
        notes: Type.String(),
        createdAt: Type.String({ format: 'date-time' }),
        createdBy: Type.String(),
      },
      { additionalProperties: false },
    ),
    source: Type.Object({ instance: Type.String() }, { additionalProperties: false }),
    decisions: Type.Array(
      Type.Object(
        {
          key: Type.String(),
          path: Type.String(),
          version: Type.Integer(),
          contentHash: Sha256,
          sha256: Sha256,
        },
        { additionalProperties: false },
      ),
    ),
    files: Type.Array(Type.Object({ path: Type.String(), sha256: Sha256 }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof ManifestSchema>;

export const SignatureSchema = Type.Object(
  {
    algorithm: Type.Literal('ed25519'),
    keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    signature: Type.String({ description: 'base64 Ed25519 signature over the exact bytes of verdict-manifest.json' }),
  },
  { additionalProperties: false },
);
export type Signature = Static<typeof SignatureSchema>;

/** The file a decision is stored under: its key plus `.json`, as GoRules lays out releases. */
export const decisionPath = (key: string): string => `${key}.json`;
