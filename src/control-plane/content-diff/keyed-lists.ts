import { diffArrays } from 'diff';
import { short, type DiffContext } from './context.js';
import type { NodeDetail } from './schemas.js';
import { text } from './values.js';

/** One entry of an ordered list (a rule, a column, an expression, a branch, a node). */
export interface Entry {
  /** What it is matched by: its id, or its position when it has none (or repeats an earlier id). */
  readonly key: string;
  /** The id as shown (cut past the text limit); null when the entry has none. */
  readonly id: string | null;
  /** 1-based position in its list. */
  readonly index: number;
  readonly item: unknown;
}

export interface ListMatch {
  /** In the newer list's order. */
  readonly added: Entry[];
  /** In the older list's order. */
  readonly removed: Entry[];
  /** Entries in both, in the newer list's order. */
  readonly common: { readonly before: Entry; readonly after: Entry }[];
}

/**
 * Matches two lists by the id under `idKey` (`_id` of rules, `id` of the rest). An entry with no id,
 * or with an id an earlier entry already used, is matched by position instead, so hand-written
 * graphs without ids still compare row by row. Linear in the lists' length.
 */
export function matchEntries(ctx: DiffContext, before: readonly unknown[], after: readonly unknown[], idKey: string): ListMatch {
  const older = entries(ctx, before, idKey);
  const newer = entries(ctx, after, idKey);
  const byKey = new Map(older.map((e) => [e.key, e]));
  const added: Entry[] = [];
  const common: { before: Entry; after: Entry }[] = [];
  const matched = new Set<string>();
  for (const e of newer) {
    const then = byKey.get(e.key);
    if (then) {
      common.push({ before: then, after: e });
      matched.add(e.key);
    } else added.push(e);
  }
  return { added, removed: older.filter((e) => !matched.has(e.key)), common };
}

function entries(ctx: DiffContext, list: readonly unknown[], idKey: string): Entry[] {
  const seen = new Set<string>();
  return list.map((item, i) => {
    const id = text(item, idKey) ?? null;
    // Two namespaces, so an id that looks like a position cannot collide with one.
    const key = id !== null && !seen.has(id) ? `id:${id}` : `row:${i + 1}`;
    if (id !== null) seen.add(id);
    return { key, id: id === null ? null : short(ctx, id), index: i + 1, item };
  });
}

type Reordered = Extract<NodeDetail, { kind: 'reordered' }>;

/**
 * Entries present in both lists whose relative order changed: for a 'first' hit policy table or a
 * switch, row order decides the result. The fewest moves are the entries outside the longest
 * common subsequence, which jsdiff's `diffArrays` (Myers) finds; the common start and end are set
 * aside first and its edit length and time are capped, so a reversed 8,000-row table costs a
 * bounded amount. Past the cap every entry off its former position is reported (`exact: false`).
 */
export function reorderedEntries(
  ctx: DiffContext,
  list: Reordered['list'],
  match: ListMatch,
  label: (entry: Entry) => string,
): Reordered | undefined {
  const afterOrder = match.common.map((c) => c.after.key);
  const beforeOrder = [...match.common].sort((a, b) => a.before.index - b.before.index).map((c) => c.before.key);
  let start = 0;
  while (start < afterOrder.length && afterOrder[start] === beforeOrder[start]) start++;
  if (start === afterOrder.length) return undefined;
  let end = afterOrder.length;
  while (end > start && afterOrder[end - 1] === beforeOrder[end - 1]) end--;
  const olderMiddle = beforeOrder.slice(start, end);
  const newerMiddle = afterOrder.slice(start, end);

  let movedKeys: Set<string>;
  let exact = false;
  // Myers costs (length x edits): one rule moved across 8,000 is cheap, a shuffled table is cut off.
  const changes = diffArrays(olderMiddle, newerMiddle, { maxEditLength: ctx.limits.maxEditLength, timeout: ctx.limits.editTimeoutMs });
  if (changes) {
    exact = true;
    movedKeys = new Set(changes.filter((c) => c.added).flatMap((c) => c.value));
  } else {
    movedKeys = new Set(newerMiddle.filter((key, i) => olderMiddle[i] !== key));
  }

  const moved: Reordered['moved'] = [];
  if (!ctx.budget.take()) {
    for (let i = 0; i < movedKeys.size; i++) ctx.budget.take();
    return undefined;
  }
  for (const { before, after } of match.common) {
    if (!movedKeys.has(after.key) || !ctx.budget.take()) continue;
    moved.push({ id: after.id, label: label(after), before: before.index, after: after.index });
  }
  return { kind: 'reordered', list, moved, movedCount: movedKeys.size, exact };
}
