import * as D from '../decimal.js';
import { Dec } from '../decimal.js';
import { engineError, notSure } from '../errors.js';
import { spend } from '../budget.js';
import { Interval, type Value } from '../values.js';
import { flattenOnce } from './builtins.js';
import { type Evaluator, type Frame, type Scope, Unsupported } from './evaluator.js';
import { asBool } from './operators.js';

/* Closure functions (all, some, filter, map, ...) and the `#` items and aliases they bind. */

export const ORDER_FREE_CONSUMERS = new Set(['len', 'sum', 'min', 'max', 'avg', 'median', 'mode', 'contains']);
export const ORDER_FREE_CLOSURES = new Set(['all', 'none', 'some', 'one', 'count']);
export const ORDER_KEEPING_CLOSURES = new Set(['filter', 'map', 'flatMap']);

export function aliasDepth(scope: Scope, name: string): number | undefined {
  for (let i = scope.aliases.length - 1; i >= 0; i--) {
    if (scope.aliases[i] === name) return scope.aliases.length - 1 - i;
  }
  return undefined;
}

export function pointer(depth: number): Evaluator {
  return (f) => {
    const i = f.scopes.length - 1 - depth;
    if (i < 0) return engineError(`scope depth ${depth} out of bounds`);
    return f.scopes[i]!;
  };
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** VmInterval::to_array, for closures over `[1..5]`. */
function intervalItems(i: Interval): Value[] {
  const start = D.toInteger(i.left) + (i.leftBracket === '(' ? 1n : 0n);
  const end = D.toInteger(i.right) - (i.rightBracket === ')' ? 1n : 0n);
  if (i.leftBracket === ']' || i.rightBracket === '[') return engineError('Begin: unsupported type');
  if (end - start > 100_000n) return notSure('a closure over a very long interval');
  spend(Number(end - start));
  const out: Value[] = [];
  for (let n = start; n <= end; n++) out.push(new Dec(n, 0, false, false, n >= -SAFE && n <= SAFE ? Number(n) : Number.NaN));
  return out;
}

function closureItems(v: Value): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Interval) return intervalItems(v);
  return engineError('Begin: unsupported type');
}

/** A closure function over its compiled list and body (the body sees each item as `#`). */
export function closureCall(name: string, list: Evaluator, body: Evaluator): Evaluator {
  const run = (f: Frame, each: (item: Value, result: Value) => boolean | void): void => {
    const items = closureItems(list(f));
    spend(items.length);
    f.scopes.push(null);
    try {
      for (const item of items) {
        f.scopes[f.scopes.length - 1] = item;
        if (each(item, body(f)) === false) break;
      }
    } finally {
      f.scopes.pop();
    }
  };
  switch (name) {
    case 'all':
      return (f) => {
        let result = true;
        run(f, (_, v) => (asBool(v, 'JumpIfFalse') ? undefined : ((result = false), false)));
        return result;
      };
    case 'none':
      return (f) => {
        let result = true;
        run(f, (_, v) => (!asBool(v, 'Not') ? undefined : ((result = false), false)));
        return result;
      };
    case 'some':
      return (f) => {
        let result = false;
        run(f, (_, v) => (asBool(v, 'JumpIfTrue') ? ((result = true), false) : undefined));
        return result;
      };
    case 'one':
      return (f) => {
        let count = 0;
        run(f, (_, v) => {
          if (asBool(v, 'JumpIfFalse')) count++;
        });
        return count === 1;
      };
    case 'count':
      return (f) => {
        let count = 0;
        run(f, (_, v) => {
          if (asBool(v, 'JumpIfFalse')) count++;
        });
        return D.decFromInt(count);
      };
    case 'filter':
      return (f) => {
        const out: Value[] = [];
        run(f, (item, v) => {
          if (asBool(v, 'JumpIfFalse')) out.push(item);
        });
        return out;
      };
    case 'map':
      return (f) => {
        const out: Value[] = [];
        run(f, (_, v) => {
          out.push(v);
        });
        return out;
      };
    case 'flatMap':
      return (f) => {
        const out: Value[] = [];
        run(f, (_, v) => {
          out.push(v);
        });
        return flattenOnce(out);
      };
    default:
      throw new Unsupported(`closure function ${name}`);
  }
}
