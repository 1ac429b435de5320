import * as D from '../decimal.js';
import { Dec } from '../decimal.js';
import { engineError, notSure } from '../errors.js';
import type { Value } from '../values.js';
import type { Node } from './ast.js';
import type { Evaluator, Scope } from './evaluator.js';
import { byteChar, byteSlice, utf8Length } from './text.js';

/* Member access, indexing and slicing: the VM's FetchFast, Fetch and Slice opcodes. */

function fetchKey(target: Value, key: string): Value {
  return target instanceof Map ? (target.get(key) ?? null) : null;
}

/** rust_decimal `to_usize`: negative numbers have none. */
export function toIndex(n: Dec, what: string): number {
  if (n.negZero) return notSure('a negative zero index');
  if (n.m < 0n) return engineError(`${what}: failed to convert to usize`);
  const i = D.toInteger(n);
  return i > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(i);
}

/** The VM's Fetch opcode (a computed member access). */
export function fetch(target: Value, property: Value): Value {
  if (target instanceof Map && typeof property === 'string') return target.get(property) ?? null;
  if (Array.isArray(target) && property instanceof Dec) return target[toIndex(property, 'Fetch')] ?? null;
  if (typeof target === 'string' && property instanceof Dec) return byteChar(target, toIndex(property, 'Fetch')) ?? null;
  return null;
}

/** FetchFast: a static path from the environment through objects and arrays, else null. */
type PathStep = { key: string } | { index: number };

export function memberPath(node: Node, scope: Scope): PathStep[] | undefined {
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

export function compileFastPath(path: PathStep[]): Evaluator {
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

/** `a[from:to]` on arrays and strings (bytes); a missing `to` is the last index. */
export function compileSlice(target: Evaluator, from: Evaluator | undefined, to: Evaluator | undefined): Evaluator {
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
