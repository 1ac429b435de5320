import * as D from '../decimal.js';
import { Dec } from '../decimal.js';
import { engineError, notSure } from '../errors.js';
import { spend } from '../budget.js';
import { Interval, type Value, type VMap } from '../values.js';
import type { Node } from './ast.js';
import { BUILTINS, displayValue, flattenOnce, scalarEquals, toBool } from './builtins.js';
import { parseStandard, parseUnary } from './parser.js';
import { byteChar, byteSlice, utf8Length } from './text.js';

/**
 * ZEN expressions compiled to JavaScript closures over our own AST: no user text is ever
 * evaluated as code. Each closure reproduces what zen-expression's compiler emits and its VM
 * runs (compiler/compiler.rs, vm/vm.rs) for the same node: the same type checks (an error where
 * the VM errors), null where the VM pushes null, and the same short-circuits.
 */

/** What a running expression sees: the environment and the closure items (innermost last). */
export interface Frame {
  env: Value;
  readonly scopes: Value[];
}

export type Evaluator = (frame: Frame) => Value;

/** Thrown at compile time for a construct the compiler does not run; the graph falls back. */
export class Unsupported extends Error {}

interface Scope {
  readonly aliases: readonly (string | undefined)[];
  /** The value is used where order cannot show (len, count, some, sum...): see keys/values. */
  readonly orderFree: boolean;
}

export function compileStandard(source: string): Evaluator {
  const parsed = parseStandard(source);
  if (!parsed.ok) throw new Unsupported(`cannot parse ${JSON.stringify(source)}: ${parsed.reason}`);
  return compileNode(parsed.node, { aliases: [], orderFree: false });
}

/** A unary test: true, false, or an error when the value is not a boolean (ValueCastError). */
export function compileUnary(source: string): Evaluator {
  const parsed = parseUnary(source);
  if (!parsed.ok) throw new Unsupported(`cannot parse unary ${JSON.stringify(source)}: ${parsed.reason}`);
  return compileNode(parsed.node, { aliases: [], orderFree: false });
}

const ORDER_FREE_CONSUMERS = new Set(['len', 'sum', 'min', 'max', 'avg', 'median', 'mode', 'contains']);
const ORDER_FREE_CLOSURES = new Set(['all', 'none', 'some', 'one', 'count']);
const ORDER_KEEPING_CLOSURES = new Set(['filter', 'map', 'flatMap']);

function fetchKey(target: Value, key: string): Value {
  return target instanceof Map ? (target.get(key) ?? null) : null;
}

/** rust_decimal `to_usize`: negative numbers have none. */
function toIndex(n: Dec, what: string): number {
  if (n.negZero) return notSure('a negative zero index');
  if (n.m < 0n) return engineError(`${what}: failed to convert to usize`);
  const i = D.toInteger(n);
  return i > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(i);
}

/** The VM's Fetch opcode (a computed member access). */
function fetch(target: Value, property: Value): Value {
  if (target instanceof Map && typeof property === 'string') return target.get(property) ?? null;
  if (Array.isArray(target) && property instanceof Dec) return target[toIndex(property, 'Fetch')] ?? null;
  if (typeof target === 'string' && property instanceof Dec) return byteChar(target, toIndex(property, 'Fetch')) ?? null;
  return null;
}

/** FetchFast: a static path from the environment through objects and arrays, else null. */
type PathStep = { key: string } | { index: number };

function memberPath(node: Node, scope: Scope): PathStep[] | undefined {
  if (node.k === 'root') return [];
  if (node.k === 'identifier') return scope.aliases.includes(node.name) ? undefined : [{ key: node.name }];
  if (node.k !== 'member') return undefined;
  const head = memberPath(node.node, scope);
  if (!head) return undefined;
  const p = node.property;
  if (p.k === 'string') return [...head, { key: p.value }];
  if (p.k === 'number') {
    if (p.value.m < 0n) return undefined;
    const i = D.toInteger(p.value);
    if (i > 0xffffffffn) return undefined;
    return [...head, { index: Number(i) }];
  }
  return undefined;
}

function compileFastPath(path: PathStep[]): Evaluator {
  if (path.length === 1 && 'key' in path[0]!) {
    const key = path[0].key;
    return (f) => fetchKey(f.env, key);
  }
  if (path.length === 2 && 'key' in path[0]! && 'key' in path[1]!) {
    const a = path[0].key;
    const b = path[1].key;
    return (f) => fetchKey(fetchKey(f.env, a), b);
  }
  return (f) => {
    let v: Value = f.env;
    for (const step of path) {
      if ('key' in step) v = v instanceof Map ? (v.get(step.key) ?? null) : null;
      else v = Array.isArray(v) ? (v[step.index] ?? null) : null;
    }
    return v;
  };
}

function aliasDepth(scope: Scope, name: string): number | undefined {
  for (let i = scope.aliases.length - 1; i >= 0; i--) {
    if (scope.aliases[i] === name) return scope.aliases.length - 1 - i;
  }
  return undefined;
}

function pointer(depth: number): Evaluator {
  return (f) => {
    const i = f.scopes.length - 1 - depth;
    if (i < 0) return engineError(`scope depth ${depth} out of bounds`);
    return f.scopes[i]!;
  };
}

function asBool(v: Value, what: string): boolean {
  return typeof v === 'boolean' ? v : engineError(`${what}: unsupported type`);
}

function num2(a: Value, b: Value, what: string): [Dec, Dec] {
  if (a instanceof Dec && b instanceof Dec) return [a, b];
  return engineError(`${what}: unsupported type`);
}

/** VM Equal: same-type scalars only; arrays, objects and intervals are never equal. */
function vmEqual(a: Value, b: Value): boolean {
  if (a instanceof Dec) return b instanceof Dec && D.equals(a, b);
  if (typeof a === 'boolean' || typeof a === 'string') return a === b;
  return a === null && b === null;
}

function intervalIncludes(i: Interval, v: Dec): boolean {
  let open = false;
  let first: boolean;
  const l = D.compare(i.left, v);
  const r = D.compare(i.right, v);
  switch (i.leftBracket) {
    case '(':
      first = l < 0;
      break;
    case '[':
      first = l <= 0;
      break;
    case ']':
      open = true;
      first = l >= 0;
      break;
  }
  let second: boolean;
  switch (i.rightBracket) {
    case ')':
      second = r > 0;
      break;
    case ']':
      second = r >= 0;
      break;
    case '[':
      second = r <= 0;
      break;
  }
  return open ? first || second : first && second;
}

/** The VM's In opcode. */
function vmIn(a: Value, b: Value): boolean {
  if (Array.isArray(b)) {
    if (a instanceof Dec || typeof a === 'string' || typeof a === 'boolean' || a === null) return b.some((item) => scalarEquals(a, item));
    return engineError('In: unsupported type');
  }
  if (a instanceof Dec && b instanceof Interval) return intervalIncludes(b, a);
  if (typeof a === 'string' && b instanceof Map) return b.has(a);
  return engineError('In: unsupported type');
}

/** VmInterval::to_array, for closures over `[1..5]`. */
function intervalItems(i: Interval): Value[] {
  const start = D.toInteger(i.left) + (i.leftBracket === '(' ? 1n : 0n);
  const end = D.toInteger(i.right) - (i.rightBracket === ')' ? 1n : 0n);
  if (i.leftBracket === ']' || i.rightBracket === '[') return engineError('Begin: unsupported type');
  if (end - start > 100_000n) return notSure('a closure over a very long interval');
  spend(Number(end - start));
  const out: Value[] = [];
  for (let n = start; n <= end; n++) out.push(new Dec(n, 0));
  return out;
}

function closureItems(v: Value): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Interval) return intervalItems(v);
  return engineError('Begin: unsupported type');
}

function compileNode(node: Node, scope: Scope): Evaluator {
  const sub = (n: Node, orderFree = false): Evaluator => compileNode(n, orderFree ? { ...scope, orderFree: true } : { ...scope, orderFree: false });
  switch (node.k) {
    case 'null':
      return () => null;
    case 'bool': {
      const v = node.value;
      return () => v;
    }
    case 'number': {
      const v = node.value;
      return () => v;
    }
    case 'string': {
      const v = node.value;
      return () => v;
    }
    case 'pointer':
      return pointer(0);
    case 'root':
      return (f) => f.env;
    case 'identifier': {
      const depth = aliasDepth(scope, node.name);
      if (depth !== undefined) return pointer(depth);
      const name = node.name;
      return (f) => {
        const env = f.env;
        if (env instanceof Map) return env.get(name) ?? null;
        if (env === null) return null;
        return engineError('FetchEnv: unsupported type');
      };
    }
    case 'parenthesized':
      return compileNode(node.node, scope);
    case 'array': {
      const items = node.items.map((n) => sub(n));
      return (f) => items.map((item) => item(f));
    }
    case 'object': {
      const entries = node.entries.map(([k, v]) => [sub(k), sub(v)] as const);
      return (f) => {
        const out: VMap = new Map();
        for (const [key, value] of entries) {
          const k = displayValue(key(f));
          out.set(k, value(f));
        }
        return out;
      };
    }
    case 'template': {
      const parts = node.parts.map((n) => sub(n));
      return (f) => {
        let s = '';
        for (const part of parts) s += displayValue(part(f));
        return s;
      };
    }
    case 'member': {
      const path = memberPath(node, scope);
      if (path) return compileFastPath(path);
      const target = sub(node.node);
      const property = sub(node.property);
      return (f) => fetch(target(f), property(f));
    }
    case 'slice': {
      const target = sub(node.node);
      const to = node.to ? sub(node.to) : undefined;
      const from = node.from ? sub(node.from) : undefined;
      return (f) => {
        const current = target(f);
        let toValue: Value;
        if (to) toValue = to(f);
        else {
          const len = typeof current === 'string' ? utf8Length(current) : Array.isArray(current) ? current.length : engineError('Len: cannot determine len');
          toValue = D.subtract(D.decFromInt(len), D.ONE);
        }
        const fromValue = from ? from(f) : D.ZERO;
        if (!(fromValue instanceof Dec) || !(toValue instanceof Dec)) return engineError('Slice: unsupported type');
        const a = toIndex(fromValue, 'Slice');
        const b = toIndex(toValue, 'Slice');
        if (Array.isArray(current)) {
          if (b + 1 > current.length || a > b + 1) return engineError('Slice: index out of range');
          return current.slice(a, b + 1);
        }
        if (typeof current === 'string') return byteSlice(current, a, b) ?? engineError('Slice: index out of range');
        return engineError('Slice: unsupported type');
      };
    }
    case 'interval': {
      const left = sub(node.left);
      const right = sub(node.right);
      const lb = node.leftBracket as Interval['leftBracket'];
      const rb = node.rightBracket as Interval['rightBracket'];
      if (!['[', '(', ']'].includes(lb) || ![']', ')', '['].includes(rb)) throw new Unsupported(`interval brackets ${lb} ${rb}`);
      return (f) => {
        const a = left(f);
        const b = right(f);
        if (a instanceof Dec && b instanceof Dec) return new Interval(a, b, lb, rb);
        return engineError('Interval: unsupported type');
      };
    }
    case 'conditional': {
      const condition = sub(node.condition);
      const onTrue = sub(node.onTrue);
      const onFalse = sub(node.onFalse);
      return (f) => (asBool(condition(f), 'JumpIfFalse') ? onTrue(f) : onFalse(f));
    }
    case 'unary': {
      const inner = sub(node.node);
      switch (node.operator) {
        case '+':
          return inner;
        case '-':
          return (f) => {
            const v = inner(f);
            return v instanceof Dec ? D.negate(v) : engineError('Negate: unsupported type');
          };
        case 'not':
          return (f) => !asBool(inner(f), 'Not');
        default:
          throw new Unsupported(`unary operator ${node.operator}`);
      }
    }
    case 'binary':
      return compileBinary(node.operator, node.left, node.right, scope);
    case 'call':
      return compileCall(node.name, node.args, scope);
    case 'closure':
      throw new Unsupported('a closure outside of a closure function');
    case 'assignments':
    case 'method':
    case 'error':
      throw new Unsupported(`${node.k} is not supported`);
  }
}

function compileBinary(operator: string, leftNode: Node, rightNode: Node, scope: Scope): Evaluator {
  const left = compileNode(leftNode, { ...scope, orderFree: false });
  const inRight = operator === 'in' || operator === 'not in';
  const right = compileNode(rightNode, { ...scope, orderFree: inRight });
  switch (operator) {
    case '==':
      return (f) => vmEqual(left(f), right(f));
    case '!=':
      return (f) => !vmEqual(left(f), right(f));
    case 'or':
      return (f) => (asBool(left(f), 'JumpIfTrue') ? true : right(f));
    case 'and':
      return (f) => (asBool(left(f), 'JumpIfFalse') ? right(f) : false);
    case '??':
      return (f) => {
        const a = left(f);
        return a !== null ? a : right(f);
      };
    case 'in':
      return (f) => vmIn(left(f), right(f));
    case 'not in':
      return (f) => !vmIn(left(f), right(f));
    case '<':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) < 0;
    case '<=':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) <= 0;
    case '>':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) > 0;
    case '>=':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) >= 0;
    case '+':
      return (f) => {
        const a = left(f);
        const b = right(f);
        if (a instanceof Dec && b instanceof Dec) return D.add(a, b);
        if (typeof a === 'string' && typeof b === 'string') return a + b;
        return engineError('Add: unsupported type');
      };
    case '-':
      return (f) => D.subtract(...num2(left(f), right(f), 'Subtract'));
    case '*':
      return (f) => D.multiply(...num2(left(f), right(f), 'Multiply'));
    case '/':
      return (f) => D.divide(...num2(left(f), right(f), 'Divide')) ?? null;
    case '%':
      return (f) => D.remainder(...num2(left(f), right(f), 'Modulo'));
    case '^':
      return (f) => D.power(...num2(left(f), right(f), 'Exponent')) ?? engineError('Exponent: failed');
    default:
      throw new Unsupported(`binary operator ${operator}`);
  }
}

function compileCall(name: string, args: Node[], scope: Scope): Evaluator {
  const builtin = BUILTINS.get(name);
  if (builtin) {
    if (args.length < builtin.min || args.length > builtin.max) throw new Unsupported(`${name} with ${args.length} arguments`);
    const orderFreeArgs = ORDER_FREE_CONSUMERS.has(name);
    const compiled = args.map((a, i) => compileNode(a, { ...scope, orderFree: orderFreeArgs && i === 0 }));
    const orderFree = scope.orderFree;
    const call = builtin.call;
    if (compiled.length === 1) {
      const a0 = compiled[0]!;
      return (f) => call([a0(f)], orderFree);
    }
    return (f) => call(compiled.map((c) => c(f)), orderFree);
  }
  if (ORDER_FREE_CLOSURES.has(name) || ORDER_KEEPING_CLOSURES.has(name)) return compileClosureCall(name, args, scope);
  throw new Unsupported(`function ${name} is not supported by the compiler`);
}

function compileClosureCall(name: string, args: Node[], scope: Scope): Evaluator {
  const [listNode, closureNode] = args;
  if (args.length !== 2 || !listNode || closureNode?.k !== 'closure') throw new Unsupported(`${name} without a closure`);
  const listOrderFree = ORDER_FREE_CLOSURES.has(name) || scope.orderFree;
  const list = compileNode(listNode, { ...scope, orderFree: listOrderFree });
  const body = compileNode(closureNode.body, { aliases: [...scope.aliases, closureNode.alias], orderFree: false });
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

export { toBool };
