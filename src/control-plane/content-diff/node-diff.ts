import { assertNever } from '../../lib/assert-never.js';
import { isNodeType, type NodeType } from '../../lib/jdm.js';
import { display, short, type DiffContext } from './context.js';
import { diffCode } from './code-diff.js';
import { diffExpressions, diffSwitch } from './expression-switch-diff.js';
import { genericDiff } from './generic-diff.js';
import type { NodeDetail } from './schemas.js';
import { diffTable } from './table-diff.js';
import { isObject, sameJson, text, without, type JsonObject } from './values.js';

/** Node members with a meaning of their own; anything else a node carries is diffed generically. */
const NODE_KEYS = new Set(['id', 'type', 'name', 'content', 'position']);

export interface NodeComparison {
  /** Name, type, content and other changes, as listed (the budget may have cut them). */
  readonly details: NodeDetail[];
  /** The node-changed entry itself fits in the budget (drawn before its details). */
  readonly listed: boolean;
  /** Details of this node left out by the budget. */
  readonly omitted: number;
  /** Anything but the position changed. */
  readonly changed: boolean;
  /** The content changed (not only the name or the type). */
  readonly contentChanged: boolean;
  /** The position changed: layout, reported apart so a moved node is not a changed one. */
  readonly moved: boolean;
}

/** Compares two versions of one node (same id). */
export function compareNodes(ctx: DiffContext, before: JsonObject, after: JsonObject): NodeComparison {
  const details: NodeDetail[] = [];
  const moved = !sameJson(before.position, after.position);
  const contentChanged = !sameJson(before.content, after.content);
  const rest = { before: without(before, NODE_KEYS), after: without(after, NODE_KEYS) };
  const nameChanged = !sameJson(before.name, after.name);
  const typeChanged = !sameJson(before.type, after.type);
  const restChanged = !sameJson(rest.before, rest.after);
  const changed = nameChanged || typeChanged || contentChanged || restChanged;
  if (!changed) return { details, listed: false, omitted: 0, changed, contentChanged, moved };
  const listed = ctx.budget.take();
  const truncatedBefore = ctx.budget.truncated;

  if (nameChanged && ctx.budget.take()) details.push({ kind: 'renamed', before: label(ctx, before.name), after: label(ctx, after.name) });
  if (typeChanged) {
    if (ctx.budget.take()) details.push({ kind: 'type-changed', before: label(ctx, before.type), after: label(ctx, after.type) });
    // Different kinds of content do not compare field by field.
    genericDiff(ctx, before.content, after.content, '$.content', details);
  } else if (contentChanged) {
    diffContent(ctx, text(before, 'type'), before.content, after.content, details);
  }
  genericDiff(ctx, rest.before, rest.after, '$', details);
  return { details, listed, omitted: ctx.budget.truncated - truncatedBefore, changed, contentChanged, moved };
}

function label(ctx: DiffContext, value: unknown): string {
  return short(ctx, typeof value === 'string' ? value : (JSON.stringify(display(ctx, value)) ?? ''));
}

/** Content of one node type, by the kind of change that type has; unknown types get the generic diff. */
function diffContent(ctx: DiffContext, type: string | undefined, before: unknown, after: unknown, out: NodeDetail[]): void {
  if (type === undefined || !isNodeType(type)) return void genericDiff(ctx, before, after, '$.content', out);
  const known: NodeType = type;
  switch (known) {
    case 'inputNode':
    case 'outputNode':
      // Their content is an optional JSON schema of the request or response: no finer kind helps.
      return void genericDiff(ctx, before, after, '$.content', out);
    case 'decisionTableNode':
      if (isObject(before) && isObject(after)) return diffTable(ctx, before, after, out);
      return void genericDiff(ctx, before, after, '$.content', out);
    case 'expressionNode':
      if (isObject(before) && isObject(after)) return diffExpressions(ctx, before, after, out);
      return void genericDiff(ctx, before, after, '$.content', out);
    case 'switchNode':
      if (isObject(before) && isObject(after)) return diffSwitch(ctx, before, after, out);
      return void genericDiff(ctx, before, after, '$.content', out);
    case 'functionNode':
      return diffFunction(ctx, before, after, out);
    case 'decisionNode':
      return diffSubDecision(ctx, before, after, out);
    default:
      return assertNever(known, 'node type');
  }
}

/**
 * Legacy function nodes hold the script as their content; current ones hold `{ source, ... }`.
 * The code is compared as text either way, the rest of the object generically.
 */
function diffFunction(ctx: DiffContext, before: unknown, after: unknown, out: NodeDetail[]): void {
  const codeOf = (content: unknown) => (typeof content === 'string' ? content : text(content, 'source'));
  const restOf = (content: unknown) => (isObject(content) ? without(content, new Set(['source'])) : {});
  const beforeCode = codeOf(before);
  const afterCode = codeOf(after);
  if (beforeCode === undefined || afterCode === undefined) return void genericDiff(ctx, before, after, '$.content', out);
  if (beforeCode !== afterCode && ctx.budget.take()) out.push(diffCode(ctx, beforeCode, afterCode));
  genericDiff(ctx, restOf(before), restOf(after), '$.content', out);
}

/** A decision node calls another decision by key: which one is what matters. */
function diffSubDecision(ctx: DiffContext, before: unknown, after: unknown, out: NodeDetail[]): void {
  if (!isObject(before) || !isObject(after)) return void genericDiff(ctx, before, after, '$.content', out);
  if (!sameJson(before.key, after.key) && ctx.budget.take()) {
    out.push({ kind: 'sub-decision-changed', before: display(ctx, before.key ?? null), after: display(ctx, after.key ?? null) });
  }
  const own = new Set(['key']);
  genericDiff(ctx, without(before, own), without(after, own), '$.content', out);
}
