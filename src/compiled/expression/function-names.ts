/**
 * Every built-in name zen-expression 0.54 parses (functions/internal.rs, deprecated.rs, the
 * closure functions), so that the parser accepts and rejects the same calls; which of them the
 * compiler can run is decided in builtins.ts.
 */
export type FunctionKind = 'internal' | 'deprecated' | 'closure';

const INTERNAL = [
  'len', 'contains', 'flatten', 'merge', 'mergeDeep', 'upper', 'lower', 'trim', 'startsWith', 'endsWith', 'matches',
  'extract', 'fuzzyMatch', 'split', 'abs', 'sum', 'avg', 'min', 'max', 'rand', 'median', 'mode', 'floor', 'ceil',
  'round', 'trunc', 'isNumeric', 'string', 'number', 'bool', 'type', 'keys', 'values', 'd',
];
const DEPRECATED = [
  'date', 'time', 'duration', 'year', 'dayOfWeek', 'dayOfMonth', 'dayOfYear', 'weekOfYear', 'monthOfYear', 'monthString',
  'dateString', 'weekdayString', 'startOf', 'endOf',
];
const CLOSURE = ['all', 'none', 'some', 'one', 'filter', 'map', 'flatMap', 'count'];

export const FUNCTION_NAMES: ReadonlyMap<string, FunctionKind> = new Map<string, FunctionKind>([
  ...CLOSURE.map((n): [string, FunctionKind] => [n, 'closure']),
  ...DEPRECATED.map((n): [string, FunctionKind] => [n, 'deprecated']),
  ...INTERNAL.map((n): [string, FunctionKind] => [n, 'internal']),
]);
