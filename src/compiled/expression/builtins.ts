import * as D from '../decimal.js';
import { Dec } from '../decimal.js';
import { engineError, notSure } from '../errors.js';
import { type Value, type VMap, deepEqual, typeName } from '../values.js';
import { rustSplit, rustTrim, utf8Length } from './text.js';

/**
 * The built-in functions of zen-expression 0.54 this compiler runs (functions/internal.rs),
 * each with the engine's argument checks: a wrong type is an error there too. Missing here on
 * purpose: regular expressions (matches, extract), fuzzyMatch, rand, the date functions
 * (d, date, time, duration, ...): the compiler refuses graphs that call them.
 */
export interface Builtin {
  readonly min: number;
  readonly max: number;
  /** `orderFree`: keys/values of an object may be used (the engine's order is random). */
  readonly call: (args: Value[], orderFree: boolean) => Value;
}

const str = (args: Value[], i: number): string => {
  const v = args[i];
  return typeof v === 'string' ? v : engineError(`argument ${i} is not a string`);
};
const num = (args: Value[], i: number): Dec => {
  const v = args[i];
  return v instanceof Dec ? v : engineError(`argument ${i} is not a number`);
};
const arr = (args: Value[], i: number): Value[] => {
  const v = args[i];
  return Array.isArray(v) ? v : engineError(`argument ${i} is not an array`);
};
const numbers = (args: Value[]): Dec[] => {
  const a = arr(args, 0);
  return a.map((v) => (v instanceof Dec ? v : engineError('expected a number array')));
};
const optionalDp = (args: Value[]): number => {
  if (args.length < 2) return 0;
  const dp = num(args, 1);
  if (dp.m < 0n || dp.negZero) return dp.negZero ? notSure('negative zero places') : engineError('invalid number of decimal places');
  const n = D.toInteger(dp);
  return n > 0xffffffffn ? engineError('invalid number of decimal places') : Number(n);
};

/** Decimal::from_str_exact(s).or_else(from_scientific(s)) on trimmed text. */
export function parseNumberText(text: string): Dec | undefined {
  return D.parseDecimal(rustTrim(text));
}

export function displayValue(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  if (v instanceof Dec) return D.formatDecimal(v);
  return engineError(`cannot convert type ${typeName(v)} to string`);
}

function minMax(args: Value[], pickMax: boolean): Value {
  const a = arr(args, 0);
  if (a.length === 0 || !(a[0] instanceof Dec)) return engineError('expected a number array');
  let best = a[0];
  for (const v of a) {
    if (!(v instanceof Dec)) return engineError('expected a number array');
    const c = D.compare(v, best);
    // Iterator::min keeps the first of equals, Iterator::max the last.
    if (pickMax ? c >= 0 : c < 0) best = v;
  }
  return best;
}

function keysOrValues(v: VMap, which: 'keys' | 'values', orderFree: boolean): Value[] {
  // zen keeps objects in a randomly seeded hash map: its key order differs from run to run.
  if (!orderFree && v.size > 1) return notSure(`${which} of an object where the order shows`);
  return which === 'keys' ? [...v.keys()] : [...v.values()];
}

const B = (min: number, max: number, call: Builtin['call']): Builtin => ({ min, max, call });

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  [
    'len',
    B(1, 1, ([a]) => {
      if (typeof a === 'string') return D.decFromInt(utf8Length(a));
      if (Array.isArray(a)) return D.decFromInt(a.length);
      return engineError(`cannot determine len of type ${typeName(a ?? null)}`);
    }),
  ],
  [
    'contains',
    B(2, 2, ([a, b]) => {
      if (typeof a === 'string' && typeof b === 'string') return a.includes(b);
      if (Array.isArray(a)) return a.some((item) => scalarEquals(item, b ?? null));
      return engineError('cannot determine contains');
    }),
  ],
  ['flatten', B(1, 1, (args) => flattenOnce(arr(args, 0)))],
  [
    'merge',
    B(1, 1, (args) => {
      const a = arr(args, 0);
      const first = a[0];
      if (first === undefined) return new Map();
      if (Array.isArray(first) || first === null) {
        const out: Value[] = [];
        for (const item of a) {
          if (Array.isArray(item)) out.push(...item);
          else if (item !== null) return engineError('expected array of arrays');
        }
        return out;
      }
      if (first instanceof Map) {
        const out: VMap = new Map();
        for (const item of a) {
          if (item instanceof Map) for (const [k, v] of item) out.set(k, v);
          else if (item !== null) return engineError('expected array of objects');
        }
        return out;
      }
      return engineError('merge expects an array of arrays or objects');
    }),
  ],
  [
    'mergeDeep',
    B(1, 1, (args) => {
      let result: Value = new Map();
      for (const item of arr(args, 0)) {
        if (item instanceof Map) result = deepMerge(result, item);
        else if (item !== null) return engineError('expected array of objects');
      }
      return result;
    }),
  ],
  ['upper', B(1, 1, (args) => str(args, 0).toUpperCase())],
  ['lower', B(1, 1, (args) => str(args, 0).toLowerCase())],
  ['trim', B(1, 1, (args) => rustTrim(str(args, 0)))],
  ['startsWith', B(2, 2, (args) => str(args, 0).startsWith(str(args, 1)))],
  ['endsWith', B(2, 2, (args) => str(args, 0).endsWith(str(args, 1)))],
  ['split', B(2, 2, (args) => rustSplit(str(args, 0), str(args, 1)))],
  ['abs', B(1, 1, (args) => D.absolute(num(args, 0)))],
  ['floor', B(1, 1, (args) => D.floor(num(args, 0)))],
  ['ceil', B(1, 1, (args) => D.ceil(num(args, 0)))],
  ['round', B(1, 2, (args) => D.round(num(args, 0), optionalDp(args)))],
  ['trunc', B(1, 2, (args) => D.truncate(num(args, 0), optionalDp(args)))],
  ['sum', B(1, 1, (args) => numbers(args).reduce<Dec>((acc, v) => D.add(acc, v), D.ZERO))],
  [
    'avg',
    B(1, 1, (args) => {
      const a = numbers(args);
      const sum = a.reduce<Dec>((acc, v) => D.add(acc, v), D.ZERO);
      return D.divide(sum, D.decFromInt(a.length)) ?? engineError('empty array');
    }),
  ],
  ['min', B(1, 1, (args) => minMax(args, false))],
  ['max', B(1, 1, (args) => minMax(args, true))],
  [
    'median',
    B(1, 1, (args) => {
      const a = numbers(args).slice();
      if (a.length === 0) return engineError('index out of bounds');
      a.sort(D.compare);
      const center = Math.floor(a.length / 2);
      if (a.length % 2 === 1) return a[center]!;
      return D.divide(D.add(a[center - 1]!, a[center]!), D.decFromInt(2)) ?? engineError('median');
    }),
  ],
  [
    'mode',
    B(1, 1, (args) => {
      const a = numbers(args);
      if (a.length === 0) return engineError('empty array');
      const keys: Dec[] = [];
      const counts: number[] = [];
      for (const v of a) {
        const i = keys.findIndex((k) => D.equals(k, v));
        if (i >= 0) counts[i]!++;
        else {
          keys.push(v);
          counts.push(1);
        }
      }
      // BTreeMap order (ascending), max_by_key keeps the last of the most frequent.
      const order = keys.map((_, i) => i).sort((x, y) => D.compare(keys[x]!, keys[y]!));
      let best = order[0]!;
      for (const i of order) if (counts[i]! >= counts[best]!) best = i;
      return keys[best]!;
    }),
  ],
  ['type', B(1, 1, ([a]) => typeName(a ?? null))],
  ['string', B(1, 1, ([a]) => displayValue(a ?? null))],
  [
    'number',
    B(1, 1, ([a]) => {
      if (a instanceof Dec) return a;
      if (typeof a === 'string') return parseNumberText(a) ?? engineError('invalid number');
      if (typeof a === 'boolean') return a ? D.ONE : D.ZERO;
      return engineError(`cannot convert type ${typeName(a ?? null)} to number`);
    }),
  ],
  [
    'isNumeric',
    B(1, 1, ([a]) => {
      if (a instanceof Dec) return true;
      if (typeof a === 'string') return parseNumberText(a) !== undefined;
      return false;
    }),
  ],
  ['bool', B(1, 1, ([a]) => toBool(a ?? null))],
  [
    'keys',
    B(1, 1, ([a], orderFree) => {
      if (Array.isArray(a)) return a.map((_, i) => D.decFromInt(i));
      if (a instanceof Map) return keysOrValues(a, 'keys', orderFree);
      return engineError(`cannot determine keys of type ${typeName(a ?? null)}`);
    }),
  ],
  [
    'values',
    B(1, 1, ([a], orderFree) => {
      if (a instanceof Map) return keysOrValues(a, 'values', orderFree);
      return engineError('argument 0 is not an object');
    }),
  ],
]);

export function toBool(a: Value): boolean {
  if (a === null) return false;
  if (typeof a === 'boolean') return a;
  if (a instanceof Dec) return a.m !== 0n;
  if (typeof a === 'string') {
    const t = rustTrim(a);
    if (t === 'true') return true;
    if (t === 'false') return false;
    return a.length === 0;
  }
  return true;
}

/** contains() and `in` compare numbers, strings, booleans and nulls only. */
export function scalarEquals(a: Value, b: Value): boolean {
  if (a instanceof Dec) return b instanceof Dec && D.equals(a, b);
  if (typeof a === 'string' || typeof a === 'boolean') return a === b;
  return a === null && b === null;
}

export function flattenOnce(a: Value[]): Value[] {
  const out: Value[] = [];
  for (const v of a) {
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

function deepMerge(base: Value, patch: Value): Value {
  if (base instanceof Map && patch instanceof Map) {
    const merged: VMap = new Map(base);
    for (const [k, v] of patch) {
      const existing = merged.get(k);
      merged.set(k, existing === undefined ? v : deepMerge(existing, v));
    }
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(patch)) return [...base, ...patch];
  return patch;
}

export { deepEqual };
