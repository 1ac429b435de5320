import { assertNever } from '../../lib/assert-never.js';
import type { ContentDiff, EdgeRef, GraphChange, NodeDetail, NodeRef } from '../../control-plane/content-diff/schemas.js';

/**
 * A content diff as text for a terminal, one change per line, marked like a patch: `+` added,
 * `-` removed, `~` changed. Every kind has its own line (the switches are exhaustive), so what
 * `--json` holds is what a person reads.
 */
export function contentDiffLines(diff: ContentDiff): string[] {
  if (diff.identical) return ['no changes'];
  const lines: string[] = [];
  const moved: NodeRef[] = [];
  for (const change of diff.changes) {
    if (change.kind === 'node-moved') moved.push(change.node);
    else lines.push(...changeLines(change));
  }
  if (moved.length > 0) {
    const names = moved.slice(0, 10).map(nodeName).join(', ');
    lines.push(`moved (layout only): ${names}${moved.length > 10 ? ` and ${moved.length - 10} more` : ''}`);
  }
  if (diff.changes.length === 0) lines.push('no change to nodes or edges (only their order in the file, or edge ids, differ)');
  lines.push(summaryLine(diff));
  return lines;
}

function summaryLine(diff: ContentDiff): string {
  const s = diff.summary;
  const parts = [
    `${count(s.nodesAdded, 'node')} added, ${s.nodesRemoved} removed, ${s.nodesChanged} changed, ${s.nodesMoved} moved`,
    `${count(s.edgesAdded, 'edge')} added, ${s.edgesRemoved} removed`,
  ];
  if (s.documentChanges > 0) parts.push(`${count(s.documentChanges, 'other change')}`);
  const truncated = diff.truncated > 0 ? `; ${count(diff.truncated, 'more change')} not listed (at most ${diff.limit} are)` : '';
  return `${parts.join('; ')}${truncated}`;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const nodeName = (node: NodeRef) => JSON.stringify(node.name || node.id);

/** A value as written in the graph: strings quoted (so an empty cell shows as ""), the rest as JSON. */
function show(value: unknown): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value) ?? String(value);
}

function edgeText(edge: EdgeRef): string {
  const end = (e: EdgeRef['source']) => (e.name === null ? `(node ${e.id})` : JSON.stringify(e.name));
  const branch = edge.branch !== null ? ` (branch ${edge.branch})` : edge.sourceHandle !== null ? ` (handle ${edge.sourceHandle})` : '';
  return `${end(edge.source)}${branch} -> ${end(edge.target)}`;
}

function changeLines(change: Exclude<GraphChange, { kind: 'node-moved' }>): string[] {
  switch (change.kind) {
    case 'node-added':
      return [`+ node ${nodeName(change.node)} (${change.node.type})`];
    case 'node-removed':
      return [`- node ${nodeName(change.node)} (${change.node.type})`];
    case 'node-changed': {
      const details = change.changes.flatMap(detailLines).map((l) => `    ${l}`);
      if (change.omitted > 0) details.push(`    ... ${count(change.omitted, 'more change')} of this node not listed`);
      return [`~ node ${nodeName(change.node)} (${change.node.type})`, ...details];
    }
    case 'edge-added':
      return [`+ edge ${edgeText(change.edge)}`];
    case 'edge-removed':
      return [`- edge ${edgeText(change.edge)}`];
    case 'value-changed':
      return [valueLine(change)];
    default:
      return assertNever(change, 'change');
  }
}

function valueLine(change: Extract<NodeDetail, { kind: 'value-changed' }>): string {
  if (!('before' in change)) return `+ ${change.path}: ${show(change.after)}`;
  if (!('after' in change)) return `- ${change.path}: ${show(change.before)}`;
  return `~ ${change.path}: ${show(change.before)} -> ${show(change.after)}`;
}

const ruleName = (rule: { index: number; id: string | null }) => `rule ${rule.index}${rule.id === null ? '' : ` (id ${rule.id})`}`;
const column = (c: { name: string; field: string | null }) => `${JSON.stringify(c.name)}${c.field === null ? '' : ` (field ${c.field})`}`;
const cellList = (cells: { column: string; value: unknown }[]) => cells.map((c) => `${JSON.stringify(c.column)} ${show(c.value)}`).join('; ');
const itemName = (what: string, index: number, id: string | null) => `${what} ${index}${id === null ? '' : ` (id ${id})`}`;

function detailLines(detail: NodeDetail): string[] {
  switch (detail.kind) {
    case 'renamed':
      return [`renamed: ${JSON.stringify(detail.before)} -> ${JSON.stringify(detail.after)}`];
    case 'type-changed':
      return [`type: ${detail.before} -> ${detail.after}`];
    case 'hit-policy-changed':
      return [`hit policy: ${show(detail.before)} -> ${show(detail.after)}`];
    case 'column-added':
      return [`+ ${detail.side} column ${column(detail.column)}`];
    case 'column-removed':
      return [`- ${detail.side} column ${column(detail.column)}`];
    case 'column-changed':
      return [`~ ${detail.side} column ${column(detail.before)} -> ${column(detail.after)}`];
    case 'rule-added':
    case 'rule-removed': {
      const mark = detail.kind === 'rule-added' ? '+' : '-';
      const description = detail.description === undefined ? '' : ` [${show(detail.description)}]`;
      return [`${mark} ${ruleName(detail.rule)}${description}: ${cellList(detail.cells) || '(all cells empty)'}`];
    }
    case 'rule-changed': {
      const moved = detail.beforeIndex !== detail.rule.index ? ` (was rule ${detail.beforeIndex})` : '';
      const lines = detail.cells.map((c) => `${ruleName(detail.rule)}${moved}: cell ${JSON.stringify(c.column)}: ${show(c.before)} -> ${show(c.after)}`);
      if (detail.description) lines.push(`${ruleName(detail.rule)}${moved}: description ${show(detail.description.before)} -> ${show(detail.description.after)}`);
      return lines.length > 0 ? lines : [`${ruleName(detail.rule)}${moved}: changed`];
    }
    case 'expression-added':
      return [`+ expression ${show(detail.key)} = ${show(detail.value)}`];
    case 'expression-removed':
      return [`- expression ${show(detail.key)} = ${show(detail.value)}`];
    case 'expression-changed': {
      const key = show(detail.before.key) === show(detail.after.key) ? show(detail.after.key) : `${show(detail.before.key)} -> ${show(detail.after.key)}`;
      const value = show(detail.before.value) === show(detail.after.value) ? show(detail.after.value) : `${show(detail.before.value)} -> ${show(detail.after.value)}`;
      return [`~ expression ${key}: ${value}`];
    }
    case 'statement-added':
      return [`+ ${itemName('branch', detail.index, detail.id)}: ${show(detail.condition)}`];
    case 'statement-removed':
      return [`- ${itemName('branch', detail.index, detail.id)}: ${show(detail.condition)}`];
    case 'statement-changed':
      return [`~ ${itemName('branch', detail.index, detail.id)}: ${show(detail.before)} -> ${show(detail.after)}`];
    case 'reordered':
      return reorderedLines(detail);
    case 'code-changed':
      return codeLines(detail);
    case 'sub-decision-changed':
      return [`sub-decision: ${show(detail.before)} -> ${show(detail.after)}`];
    case 'value-changed':
      return [valueLine(detail)];
    default:
      return assertNever(detail, 'node change');
  }
}

const LIST_NAMES = { rules: 'rule', expressions: 'expression', statements: 'branch', inputs: 'input column', outputs: 'output column' } as const;

function reorderedLines(detail: Extract<NodeDetail, { kind: 'reordered' }>): string[] {
  const what = LIST_NAMES[detail.list];
  const lines = detail.moved.map((m) => `moved ${what} ${JSON.stringify(m.label)}${m.id === null ? '' : ` (id ${m.id})`}: ${m.before} -> ${m.after}`);
  if (detail.movedCount > detail.moved.length) lines.push(`... ${detail.movedCount - detail.moved.length} more ${what}s moved`);
  if (!detail.exact) lines.push(`(the ${detail.list} were reordered too much to find the fewest moves: every ${what} off its place is listed)`);
  return lines;
}

function codeLines(detail: Extract<NodeDetail, { kind: 'code-changed' }>): string[] {
  const lines = [`code changed (${detail.linesBefore} -> ${detail.linesAfter} lines):`];
  if (detail.patch === '' && detail.omittedLines === 0) lines.push('  (only line endings or the final newline differ)');
  else lines.push(...detail.patch.split('\n').map((l) => `  ${l}`));
  if (detail.omittedLines > 0) lines.push(`  ... ${detail.omittedLines} more patch lines`);
  if (!detail.exact) lines.push('  (too different to compare line by line: every differing line is shown replaced)');
  return lines;
}
