import type { CliIo } from './io.js';
import { printTable } from './output.js';

/** One node of the engine's trace (`@gorules/zen-engine` ZenEngineTrace). */
interface TraceEntry {
  readonly id: string;
  readonly name?: string;
  readonly order?: number;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly performance?: string;
  readonly traceData?: unknown;
}

const DETAIL_WIDTH = 90;

/**
 * The trace as a person reads it: nodes in evaluation order, what kind each is, how long it took,
 * and what it decided (the table rule or switch branch taken) and changed (fields it added or set).
 */
export function printTrace(io: CliIo, trace: unknown): void {
  if (!trace || typeof trace !== 'object') {
    io.stdout('(no trace)\n');
    return;
  }
  const entries = Object.values(trace as Record<string, TraceEntry>).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const orders = entries.map((e) => e.order ?? 0);
  const first = Math.min(...orders);
  const last = Math.max(...orders);
  printTable(io, entries, [
    { header: '#', value: (e) => e.order },
    { header: 'node', value: (e) => e.name ?? e.id },
    { header: 'type', value: (e) => nodeType(e, first, last) },
    { header: 'time', value: (e) => e.performance },
    { header: 'detail', value: (e) => clip([decided(e.traceData), changed(e.input, e.output)].filter(Boolean).join('; ')) },
  ]);
}

/**
 * The trace does not name node types; the shape of what each kind records does. Input and output
 * nodes record nothing: the first and last such nodes are taken for them.
 */
function nodeType(e: TraceEntry, first: number, last: number): string {
  const data = e.traceData;
  if (Array.isArray(data) || (isObject(data) && ('rule' in data || 'index' in data))) return 'table';
  if (isObject(data) && 'statements' in data) return 'switch';
  if (isObject(data) && 'log' in data) return 'function';
  if (isObject(data) && Object.values(data).every((v) => isObject(v) && 'result' in v)) return 'expression';
  if (data === null || data === undefined) return e.order === first ? 'input' : e.order === last ? 'output' : '-';
  return '-';
}

/** The rule(s) a table matched, the branch a switch took, the lines a function logged. */
function decided(data: unknown): string {
  if (Array.isArray(data)) return data.length === 0 ? 'no rule matched' : `rules ${data.map((r) => ruleName(r)).join(', ')}`;
  if (!isObject(data)) return '';
  if ('rule' in data || 'index' in data) return `rule ${ruleName(data)}`;
  if (Array.isArray(data.statements)) {
    const ids = data.statements.map((s) => (isObject(s) ? String(s.id) : '?'));
    return ids.length === 0 ? 'no branch taken' : `statement ${ids.join(', ')}`;
  }
  if (Array.isArray(data.log)) return data.log.length ? `${data.log.length} log line${data.log.length === 1 ? '' : 's'}` : '';
  return '';
}

/** "3 (cs3)": the 1-based row number, and the rule's id when it has one. */
function ruleName(match: unknown): string {
  if (!isObject(match)) return '?';
  const row = typeof match.index === 'number' ? String(match.index + 1) : '?';
  const id = isObject(match.rule) && typeof match.rule._id === 'string' ? match.rule._id : undefined;
  return id ? `${row} (${id})` : row;
}

/** Fields the node added or changed: `key=value` for objects, else the whole output. */
function changed(input: unknown, output: unknown): string {
  if (!isObject(output)) return output === undefined ? '' : `-> ${compact(output)}`;
  const before = isObject(input) ? input : {};
  return Object.entries(output)
    .filter(([key, value]) => !(key in before) || compact(before[key]) !== compact(value))
    .map(([key, value]) => `${key}=${compact(value)}`)
    .join(', ');
}

function compact(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

function clip(text: string): string {
  return text.length > DETAIL_WIDTH ? `${text.slice(0, DETAIL_WIDTH - 1)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
