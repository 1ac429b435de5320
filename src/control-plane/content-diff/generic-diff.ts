import { valueChange, type DiffContext } from './context.js';
import type { ValueChange } from './schemas.js';
import { isObject, pathOf, sameJson } from './values.js';

/** Where generic changes go: a node's details or the document's changes. */
export interface ChangeSink {
  push(change: ValueChange): unknown;
}

/**
 * The fallback for anything without a dedicated kind (input and output node schemas, node
 * properties, document members such as `tests`): one `value-changed` entry per differing leaf,
 * named by a JSON path. A member added or removed whole is one entry, not one per leaf inside it.
 * Arrays compare by position. Recursion stops at `maxDepth` (the value is then reported whole),
 * which also bounds the call stack.
 *
 * Returns how many differences there are; entries go to `out` while the budget lasts.
 */
export function genericDiff(ctx: DiffContext, before: unknown, after: unknown, path: string, out: ChangeSink): number {
  return walk(ctx, before, after, path, 0, out);
}

function walk(ctx: DiffContext, a: unknown, b: unknown, path: string, depth: number, out: ChangeSink): number {
  if (a === b) return 0;
  const deeper = depth < ctx.limits.maxDepth;
  if (deeper && Array.isArray(a) && Array.isArray(b)) {
    let count = 0;
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) {
      const at = pathOf(path, i);
      if (i >= b.length) count += emitAt(ctx, at, { before: a[i] }, out);
      else if (i >= a.length) count += emitAt(ctx, at, { after: b[i] }, out);
      else count += walk(ctx, a[i], b[i], at, depth + 1, out);
    }
    return count;
  }
  if (deeper && isObject(a) && isObject(b)) {
    let count = 0;
    for (const key of Object.keys(a)) {
      const at = pathOf(path, key);
      if (!Object.prototype.hasOwnProperty.call(b, key)) count += emitAt(ctx, at, { before: a[key] }, out);
      else count += walk(ctx, a[key], b[key], at, depth + 1, out);
    }
    for (const key of Object.keys(b)) {
      if (!Object.prototype.hasOwnProperty.call(a, key)) count += emitAt(ctx, pathOf(path, key), { after: b[key] }, out);
    }
    return count;
  }
  // Leaves, a change of type, or the depth limit: compare whole (key order does not count).
  if (sameJson(a, b)) return 0;
  return emitAt(ctx, path, { before: a, after: b }, out);
}

function emitAt(ctx: DiffContext, path: string, sides: { before?: unknown; after?: unknown }, out: ChangeSink): number {
  if (ctx.budget.take()) out.push(valueChange(ctx, path, sides));
  return 1;
}
