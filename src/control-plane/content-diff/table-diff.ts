import { display, short, type DiffContext } from './context.js';
import { genericDiff } from './generic-diff.js';
import { matchEntries, reorderedEntries, type Entry } from './keyed-lists.js';
import type { NodeDetail } from './schemas.js';
import { isObject, pathOf, sameJson, text, without, type JsonObject } from './values.js';

type Side = 'input' | 'output';
type Column = { id: string; name: string; field: string | null };
type Columns = Map<string, Column & { side: Side }>;
type Detail<K extends NodeDetail['kind']> = Extract<NodeDetail, { kind: K }>;

const TABLE_KEYS = new Set(['hitPolicy', 'inputs', 'outputs', 'rules']);
const COLUMN_KEYS = new Set(['id', 'name', 'field']);

/** A column as people know it: its name, else its field, else its id (as the validator names it); cut for display. */
function column(ctx: DiffContext, item: unknown, fallbackId: string): Column {
  const id = text(item, 'id') ?? fallbackId;
  const field = text(item, 'field');
  const name = text(item, 'name');
  return {
    id: short(ctx, id),
    name: short(ctx, name !== undefined && name !== '' ? name : (field ?? id)),
    field: field === undefined ? null : short(ctx, field),
  };
}

const list = (content: JsonObject, key: string): unknown[] => (Array.isArray(content[key]) ? content[key] : []);

/**
 * A decision table: hit policy, columns (matched by id), rules (matched by `_id`, else by row) with
 * the cells that changed in each, and rows that moved. Cells are read through the columns, so a
 * change says `cell "Age": "> 18" -> ">= 18"` rather than naming a column id. Everything the table
 * holds beyond these goes to the generic diff, so no change is silent.
 */
export function diffTable(ctx: DiffContext, before: JsonObject, after: JsonObject, out: NodeDetail[]): void {
  if (!sameJson(before.hitPolicy, after.hitPolicy) && ctx.budget.take()) {
    out.push({ kind: 'hit-policy-changed', before: display(ctx, before.hitPolicy ?? null), after: display(ctx, after.hitPolicy ?? null) });
  }
  const columns: { before: Columns; after: Columns } = { before: new Map(), after: new Map() };
  for (const side of ['input', 'output'] as const) {
    const key = side === 'input' ? 'inputs' : 'outputs';
    const match = matchEntries(ctx, list(before, key), list(after, key), 'id');
    for (const [version, content] of [['before', before], ['after', after]] as const) {
      // Keyed by the whole id (cells are found by it); the value is what changes show.
      list(content, key).forEach((item, i) => columns[version].set(text(item, 'id') ?? `#${i + 1}`, { ...column(ctx, item, `#${i + 1}`), side }));
    }
    for (const e of match.added) if (ctx.budget.take()) out.push({ kind: 'column-added', side, column: column(ctx, e.item, `#${e.index}`) });
    for (const e of match.removed) if (ctx.budget.take()) out.push({ kind: 'column-removed', side, column: column(ctx, e.item, `#${e.index}`) });
    for (const { before: b, after: a } of match.common) {
      const member = (item: unknown, name: string) => (isObject(item) ? item[name] : undefined);
      const renamed = !sameJson(member(b.item, 'name'), member(a.item, 'name')) || !sameJson(member(b.item, 'field'), member(a.item, 'field'));
      if (renamed && ctx.budget.take()) {
        const now = column(ctx, a.item, `#${a.index}`);
        out.push({ kind: 'column-changed', side, id: now.id, before: column(ctx, b.item, `#${b.index}`), after: now });
      }
      if (isObject(b.item) && isObject(a.item)) genericDiff(ctx, without(b.item, COLUMN_KEYS), without(a.item, COLUMN_KEYS), pathOf(pathOf('$.content', key), a.index - 1), out);
    }
    const reordered = reorderedEntries(ctx, key, match, (e) => column(ctx, e.item, `#${e.index}`).name);
    if (reordered) out.push(reordered);
  }
  diffRules(ctx, list(before, 'rules'), list(after, 'rules'), columns, out);
  genericDiff(ctx, without(before, TABLE_KEYS), without(after, TABLE_KEYS), '$.content', out);
}

function diffRules(
  ctx: DiffContext,
  before: unknown[],
  after: unknown[],
  columns: { before: Columns; after: Columns },
  out: NodeDetail[],
): void {
  const match = matchEntries(ctx, before, after, '_id');
  // Every member of a rule that is a cell or its _id/_description; the rest is generic.
  const known = new Set(['_id', '_description', ...columns.after.keys(), ...columns.before.keys()]);
  const ref = (e: Entry) => ({ index: e.index, id: e.id });
  const whole = (e: Entry, cols: Columns): Detail<'rule-added'> | undefined => {
    if (!ctx.budget.take()) {
      for (const _ of filledCells(e.item, cols)) ctx.budget.take();
      return undefined;
    }
    const cells: Detail<'rule-added'>['cells'] = [];
    for (const c of filledCells(e.item, cols)) if (ctx.budget.take()) cells.push({ ...c, value: display(ctx, c.value) });
    const description = isObject(e.item) ? e.item._description : undefined;
    return { kind: 'rule-added', rule: ref(e), cells, ...(description === undefined ? {} : { description: display(ctx, description) }) };
  };
  for (const e of match.added) {
    const added = whole(e, columns.after);
    if (added) out.push(added);
  }
  for (const e of match.removed) {
    const removed = whole(e, columns.before);
    if (removed) out.push({ ...removed, kind: 'rule-removed' });
  }
  for (const { before: b, after: a } of match.common) {
    if (!sameJson(b.item, a.item)) changedRule(ctx, b, a, columns, known, out);
  }
  const reordered = reorderedEntries(ctx, 'rules', match, (e) => (e.id === null ? `row ${e.index}` : `rule ${e.index}`));
  if (reordered) out.push(reordered);
}

/** The non-empty cells of a rule, in column order (an empty input cell matches anything). */
function* filledCells(rule: unknown, cols: Columns): Generator<{ columnId: string; column: string; side: Side; value: unknown }> {
  if (!isObject(rule)) return;
  for (const [id, c] of cols) {
    const value = rule[id];
    if (value === undefined || value === null || value === '') continue;
    yield { columnId: c.id, column: c.name, side: c.side, value };
  }
}

/**
 * The cells of a rule that changed. Cells of removed columns are left out (the column-removed
 * entry says it, and an editor dropping them from 8,000 rows is not 8,000 changes); members that
 * are neither cells nor `_id`/`_description` (an editor's extra field) go to the generic diff.
 */
function changedRule(
  ctx: DiffContext,
  b: Entry,
  a: Entry,
  columns: { before: Columns; after: Columns },
  known: ReadonlySet<string>,
  out: NodeDetail[],
): void {
  const then = isObject(b.item) ? b.item : {};
  const now = isObject(a.item) ? a.item : {};
  const cells: { columnId: string; column: string; side: Side; before: unknown; after: unknown }[] = [];
  for (const [id, c] of columns.after) {
    const was = then[id] ?? null;
    const is = now[id] ?? null;
    // A new column's empty cells are not news either: the column-added entry says it.
    if (!columns.before.has(id) && is === '') continue;
    if (!sameJson(was, is)) cells.push({ columnId: c.id, column: c.name, side: c.side, before: was, after: is });
  }
  const descriptionChanged = !sameJson(then._description, now._description);
  const restThen = without(then, known);
  const restNow = without(now, known);
  const restChanged = !sameJson(restThen, restNow);
  if (cells.length === 0 && !descriptionChanged && !restChanged) return;

  const listed = ctx.budget.take();
  const shownCells: Detail<'rule-changed'>['cells'] = [];
  for (const c of cells) if (ctx.budget.take()) shownCells.push({ ...c, before: display(ctx, c.before), after: display(ctx, c.after) });
  if (listed) {
    out.push({
      kind: 'rule-changed',
      rule: { index: a.index, id: a.id },
      beforeIndex: b.index,
      cells: shownCells,
      ...(descriptionChanged ? { description: { before: display(ctx, then._description ?? null), after: display(ctx, now._description ?? null) } } : {}),
    });
  }
  if (restChanged) genericDiff(ctx, restThen, restNow, pathOf('$.content.rules', a.index - 1), out);
}
