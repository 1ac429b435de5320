import { Type, type Static } from 'typebox';

/** Names inside a package zip. */
export const MANIFEST_FILE = 'verdict-manifest.json';
export const SIGNATURE_FILE = 'verdict-manifest.sig';
export const PROJECT_CONFIG_FILE = '.config/project.json';
export const FORMAT_VERSION = 1;

/** Hard limits for reading a zip: far above real packages, low enough to refuse zip bombs. */
export const LIMITS = Object.freeze({
  maxEntries: 20_000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
  /** Uncompressed/compressed beyond this (for entries over 1 MiB) is a bomb, not JSON. */
  maxCompressionRatio: 200,
});

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
