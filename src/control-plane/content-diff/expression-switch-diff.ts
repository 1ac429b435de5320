import { display, type DiffContext } from './context.js';
import { genericDiff } from './generic-diff.js';
import { matchEntries, reorderedEntries } from './keyed-lists.js';
import type { NodeDetail } from './schemas.js';
import { cutText, isObject, pathOf, sameJson, without, type JsonObject } from './values.js';

const list = (content: JsonObject, key: string): unknown[] => (Array.isArray(content[key]) ? content[key] : []);
const member = (item: unknown, key: string): unknown => (isObject(item) ? (item[key] ?? null) : null);

const EXPRESSION_KEYS = new Set(['id', 'key', 'value']);
const STATEMENT_KEYS = new Set(['id', 'condition']);

/**
 * An expression node: expressions matched by id (else by position), each added, removed or with
 * its key or value changed; and a change of order, since a later expression may read an earlier
 * one's result.
 */
export function diffExpressions(ctx: DiffContext, before: JsonObject, after: JsonObject, out: NodeDetail[]): void {
  const match = matchEntries(ctx, list(before, 'expressions'), list(after, 'expressions'), 'id');
  const side = (item: unknown) => ({ key: display(ctx, member(item, 'key')), value: display(ctx, member(item, 'value')) });
  for (const e of match.added) if (ctx.budget.take()) out.push({ kind: 'expression-added', id: e.id, index: e.index, ...side(e.item) });
  for (const e of match.removed) if (ctx.budget.take()) out.push({ kind: 'expression-removed', id: e.id, index: e.index, ...side(e.item) });
  for (const { before: b, after: a } of match.common) {
    const changed = !sameJson(member(b.item, 'key'), member(a.item, 'key')) || !sameJson(member(b.item, 'value'), member(a.item, 'value'));
    if (changed && ctx.budget.take()) out.push({ kind: 'expression-changed', id: a.id, index: a.index, before: side(b.item), after: side(a.item) });
    rest(ctx, b.item, a.item, EXPRESSION_KEYS, pathOf('$.content.expressions', a.index - 1), out);
  }
  const reordered = reorderedEntries(ctx, 'expressions', match, (e) => labelOf(member(e.item, 'key'), ctx));
  if (reordered) out.push(reordered);
  genericDiff(ctx, without(before, new Set(['expressions'])), without(after, new Set(['expressions'])), '$.content', out);
}

/**
 * A switch node: its hit policy, and its statements (branches) matched by id with their
 * conditions. Branch order decides which edge a 'first' switch takes, so moves are reported.
 */
export function diffSwitch(ctx: DiffContext, before: JsonObject, after: JsonObject, out: NodeDetail[]): void {
  if (!sameJson(before.hitPolicy, after.hitPolicy) && ctx.budget.take()) {
    out.push({ kind: 'hit-policy-changed', before: display(ctx, before.hitPolicy ?? null), after: display(ctx, after.hitPolicy ?? null) });
  }
  const match = matchEntries(ctx, list(before, 'statements'), list(after, 'statements'), 'id');
  const condition = (item: unknown) => display(ctx, member(item, 'condition'));
  for (const e of match.added) if (ctx.budget.take()) out.push({ kind: 'statement-added', id: e.id, index: e.index, condition: condition(e.item) });
  for (const e of match.removed) if (ctx.budget.take()) out.push({ kind: 'statement-removed', id: e.id, index: e.index, condition: condition(e.item) });
  for (const { before: b, after: a } of match.common) {
    if (!sameJson(member(b.item, 'condition'), member(a.item, 'condition')) && ctx.budget.take()) {
      out.push({ kind: 'statement-changed', id: a.id, index: a.index, before: condition(b.item), after: condition(a.item) });
    }
    rest(ctx, b.item, a.item, STATEMENT_KEYS, pathOf('$.content.statements', a.index - 1), out);
  }
  const reordered = reorderedEntries(ctx, 'statements', match, (e) => labelOf(member(e.item, 'condition'), ctx) || '(default)');
  if (reordered) out.push(reordered);
  const own = new Set(['hitPolicy', 'statements']);
  genericDiff(ctx, without(before, own), without(after, own), '$.content', out);
}

/** Members of an entry beyond the ones with their own kind. */
function rest(ctx: DiffContext, before: unknown, after: unknown, known: ReadonlySet<string>, path: string, out: NodeDetail[]): void {
  if (isObject(before) && isObject(after)) genericDiff(ctx, without(before, known), without(after, known), path, out);
}

/** A short label for a moved entry: its key or condition, cut to one readable line. */
function labelOf(value: unknown, ctx: DiffContext): string {
  const raw = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return cutText(raw.replace(/\s+/g, ' ').trim(), Math.min(80, ctx.limits.maxTextLength)).text;
}
