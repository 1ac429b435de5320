import type { DiffLimits, EntryBudget } from './limits.js';
import type { ValueChange } from './schemas.js';
import { cutText, shown } from './values.js';

/** What every part of one diff shares: its limits and the entry budget they draw on. */
export interface DiffContext {
  readonly limits: DiffLimits;
  readonly budget: EntryBudget;
}

/**
 * A name or id as it appears in a change, cut past the text limit: a hostile graph may name a node
 * with a megabyte, and names repeat in every change that mentions them.
 */
export function short(ctx: DiffContext, text: string): string {
  return cutText(text, ctx.limits.maxTextLength).text;
}

/** A value as it may appear in a change (cut or summarised past the limits). */
export function display(ctx: DiffContext, value: unknown): unknown {
  return shown(value, ctx.limits).value;
}

/** A generic change entry, with `elided` set only when a side had to be cut. */
export function valueChange(ctx: DiffContext, path: string, sides: { before?: unknown; after?: unknown }): ValueChange {
  const change: ValueChange = { kind: 'value-changed', path };
  let elided = false;
  if ('before' in sides) {
    const b = shown(sides.before, ctx.limits);
    change.before = b.value;
    elided ||= b.elided;
  }
  if ('after' in sides) {
    const a = shown(sides.after, ctx.limits);
    change.after = a.value;
    elided ||= a.elided;
  }
  if (elided) change.elided = true;
  return change;
}
