/**
 * Bounds on what a diff lists and how long it may compute. Graphs come from users: a table of
 * 8,000 rules rewritten, a 1 MB function, a value nested hundreds deep. Every part of the diff
 * is linear in the graph's size or capped here, so a diff answers quickly and its answer stays a
 * size a person (or the console) can read.
 */
export interface DiffLimits {
  /** Entries listed across the whole diff (changes, per-node details, cells, moved entries). */
  readonly maxEntries: number;
  /** Characters of a string shown in a change; longer ones are cut. */
  readonly maxTextLength: number;
  /** Characters of JSON shown for an object or array value; larger ones are summarised. */
  readonly maxValueLength: number;
  /** Lines of unified diff (function code), across the whole diff: a graph may hold many functions. */
  readonly maxPatchLines: number;
  /** Edit distance beyond which line and order diffs give up on the fewest edits (jsdiff maxEditLength). */
  readonly maxEditLength: number;
  /** Wall-clock bound of one jsdiff call, in ms (jsdiff timeout): the machine may be busy. */
  readonly editTimeoutMs: number;
  /** Lines (before + after, once the common start and end are set aside) compared line by line. */
  readonly maxCompareLines: number;
  /** Depth to which the generic diff walks into nested values; deeper, the value is reported whole. */
  readonly maxDepth: number;
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = Object.freeze({
  maxEntries: 1000,
  maxTextLength: 500,
  maxValueLength: 500,
  maxPatchLines: 400,
  maxEditLength: 200,
  editTimeoutMs: 100,
  maxCompareLines: 20_000,
  maxDepth: 32,
});

/**
 * Counts what is listed against `maxEntries` (and patch lines against `maxPatchLines`). Everything is still counted when the budget runs out
 * (the summary stays exact); what no longer fits is only tallied in `truncated`.
 */
export class EntryBudget {
  #left: number;
  #truncated = 0;
  #patchLinesLeft: number;

  constructor(
    readonly limit: number,
    patchLines: number,
  ) {
    this.#left = limit;
    this.#patchLinesLeft = patchLines;
  }

  /** How many of `wanted` patch lines may still be listed (and they are taken). */
  takePatchLines(wanted: number): number {
    const granted = Math.min(wanted, this.#patchLinesLeft);
    this.#patchLinesLeft -= granted;
    return granted;
  }

  /** True if one more entry may be listed; otherwise counts it as left out. */
  take(): boolean {
    if (this.#left > 0) {
      this.#left--;
      return true;
    }
    this.#truncated++;
    return false;
  }

  get truncated(): number {
    return this.#truncated;
  }
}
