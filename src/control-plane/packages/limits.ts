/**
 * What applying one package may cost the server. No imports: config.ts reads the defaults from
 * here, and the CLI must not pay for loading the package code to read its configuration.
 *
 * A 3.7 MB package that expanded to 480 MiB of JSON (inside the old 512 MiB limit) held the event
 * loop for 58 s and grew the server by 2 GB. Real decisions are kilobytes (the largest graph of the
 * JDM corpus is 20 KiB), so these defaults are still hundreds of times what a real release needs.
 */
export const MIB = 1024 * 1024;

export interface ApplyLimits {
  /** Total uncompressed size of the files of a package (VERDICT_PACKAGE_EXPANDED_LIMIT_BYTES). */
  readonly expandedLimitBytes: number;
  /** Uncompressed size of one file of a package (VERDICT_PACKAGE_ENTRY_LIMIT_BYTES). */
  readonly entryLimitBytes: number;
  /** Reading, hashing and validating a package in its worker thread (VERDICT_PACKAGE_CHECK_TIMEOUT_MS). */
  readonly checkTimeoutMs: number;
  /** Applies that may wait while one runs; more are answered 503 (VERDICT_PACKAGE_APPLY_QUEUE). */
  readonly queue: number;
}

export const DEFAULT_APPLY_LIMITS: ApplyLimits = Object.freeze({
  expandedLimitBytes: 64 * MIB,
  entryLimitBytes: 8 * MIB,
  checkTimeoutMs: 300_000,
  queue: 3,
});

/** The most the settings may be raised to: the hard limits every reader of a zip applies (format.ts LIMITS). */
export const MAX_EXPANDED_LIMIT_BYTES = 512 * MIB;
export const MAX_ENTRY_LIMIT_BYTES = 64 * MIB;
