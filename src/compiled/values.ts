import { Dec, decFromJsNumber, decToJsNumber, equals as decEquals } from './decimal.js';
import { notSure } from './errors.js';

/**
 * A zen `Variable` in JavaScript. Objects and arrays are shared by reference exactly like the
 * engine's `Rc<RefCell<..>>`, so the engine's in-place updates (dot_insert, merge) can be ported
 * as they are and show the same aliasing. Maps, not plain objects: context keys such as
 * `__proto__` or `constructor` are data here.
 */
export type Value = null | boolean | Dec | string | Value[] | VMap | Interval;
export type VMap = Map<string, Value>;

/** A ZEN interval (`[1..5]`, `(0..10]`) over numbers; intervals of dates are refused. */
export class Interval {
  constructor(
    readonly left: Dec,
    readonly right: Dec,
    readonly leftBracket: '[' | '(' | ']',
    readonly rightBracket: ']' | ')' | '[',
  ) {}
}

export const isMap = (v: Value): v is VMap => v instanceof Map;
export const isDec = (v: Value): v is Dec => v instanceof Dec;

/** Variable::type_name. */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof Dec) return 'number';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Map) return 'object';
  return 'interval';
}

/** Bounded by the caller (Verdict caps JSON depth before evaluation), so plain recursion. */
export function fromJson(json: unknown): Value {
  if (json === null || json === undefined) return null;
  switch (typeof json) {
    case 'boolean':
    case 'string':
      return json;
    case 'number':
      return decFromJsNumber(json);
    case 'object': {
      if (Array.isArray(json)) return json.map(fromJson);
      const map: VMap = new Map();
      const record = json as Record<string, unknown>;
      // Object.keys, not Object.entries: no pair array per key (this runs on every context).
      for (const key of Object.keys(record)) {
        const value = record[key];
        // serde_json skips nothing, but JSON.stringify drops undefined: match what zen receives.
        if (value !== undefined) map.set(key, fromJson(value));
      }
      return map;
    }
    default:
      return notSure(`a context value of type ${typeof json}`);
  }
}

/**
 * What zen-engine's Node binding returns for a Variable (numbers through their decimal text),
 * after the engine's VariableCleaner: `$nodes` is left out of every object on the way, which
 * spares a separate pass over the result.
 */
export function toJson(v: Value): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof Dec) return decToJsNumber(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    // forEach, not for-of: no [key, value] pair per entry.
    v.forEach((value, key) => {
      if (key === '$nodes') return;
      if (key === '__proto__') Object.defineProperty(out, key, { value: toJson(value), enumerable: true, writable: true, configurable: true });
      else out[key] = toJson(value);
    });
    return out;
  }
  // A Dynamic (interval) serialises as its display text; we do not reproduce that text.
  return notSure('an interval in the result');
}

/** Variable's PartialEq: deep, numbers by value, intervals by identity. */
export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof Dec) return b instanceof Dec && decEquals(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i]!, b[i]!)) return false;
    return true;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [key, value] of a) {
      if (!b.has(key) || !deepEqual(value, b.get(key)!)) return false;
    }
    return true;
  }
  return false;
}

/** A map's top level; forEach into a new map beats `new Map(m)` (no fast path in V8 11). */
export function copyMap(m: VMap): VMap {
  const copy: VMap = new Map();
  m.forEach((value, key) => copy.set(key, value));
  return copy;
}

/** merge of a patch into an empty object: its top level without the keys a null deletes. */
export function copyWithoutNulls(m: VMap): VMap {
  const copy: VMap = new Map();
  m.forEach((value, key) => {
    if (value !== null) copy.set(key, value);
  });
  return copy;
}

/** Variable::depth_clone. */
export function depthClone(v: Value, depth: number): Value {
  if (depth === 0) return v;
  // Depth 1, the handlers' common case, copies the top level only: Map's own copy is the fastest.
  if (Array.isArray(v)) return depth === 1 ? v.slice() : v.map((item) => depthClone(item, depth - 1));
  if (v instanceof Map) {
    if (depth === 1) return copyMap(v);
    const copy: VMap = new Map();
    v.forEach((value, key) => copy.set(key, depthClone(value, depth - 1)));
    return copy;
  }
  return v;
}

/** Variable::dot_insert: creates missing objects on the way, gives up at a non-object. */
export function dotInsert(target: Value, path: string, value: Value): void {
  dotInsertParts(target, path.split('.'), value);
}

/**
 * The object `parts[0..count)` leads to, creating missing objects on the way as zen's dot_insert
 * and dot_remove do; undefined when the path crosses something that is not an object.
 */
function holderOf(target: Value, parts: readonly string[], count: number): Map<string, Value> | undefined {
  let head: Value = target;
  for (let i = 0; i < count; i++) {
    if (!(head instanceof Map)) return undefined;
    let next = head.get(parts[i]!);
    if (next === undefined) {
      next = new Map();
      head.set(parts[i]!, next);
    }
    head = next;
  }
  return head instanceof Map ? head : undefined;
}

/** dotInsert with the path already split (node handlers split theirs once, at compile time). */
export function dotInsertParts(target: Value, parts: readonly string[], value: Value): void {
  holderOf(target, parts, parts.length - 1)?.set(parts[parts.length - 1]!, value);
}

/** Variable::dot_remove (which, like dot_insert, creates missing objects on the way). */
export function dotRemove(target: Value, path: string): void {
  const parts = path.split('.');
  holderOf(target, parts, parts.length - 1)?.delete(parts[parts.length - 1]!);
}

/** Variable::dot: a dotted path through objects only. */
export function dotGet(target: Value, path: string): Value | undefined {
  let head: Value = target;
  for (const part of path.split('.')) {
    if (!(head instanceof Map)) return undefined;
    const next = head.get(part);
    if (next === undefined) return undefined;
    head = next;
  }
  return head;
}

/**
 * Variable::merge (in place) and merge_clone (copy on write), ported with their quirks: a null in
 * the patch deletes the key, an array patch at the top replaces the document, any other non-object
 * patch at the top is ignored, a non-object document takes the patch. Returns the merged document.
 */
export function mergeInPlace(doc: Value, patch: Value): Value {
  if (Array.isArray(patch)) return patch;
  if (!(patch instanceof Map)) return doc;
  if (!(doc instanceof Map)) return patch;
  mergeMapInPlace(doc, patch);
  return doc;
}

function mergeMapInPlace(doc: VMap, patch: VMap): void {
  if (doc === patch) return;
  for (const [key, value] of patch) {
    if (value === null) doc.delete(key);
    else {
      const existing = doc.get(key);
      if (existing instanceof Map && value instanceof Map) mergeMapInPlace(existing, value);
      else doc.set(key, value);
    }
  }
}

export function mergeClone(doc: Value, patch: Value): Value {
  if (Array.isArray(patch)) return patch;
  if (!(patch instanceof Map)) return doc;
  if (!(doc instanceof Map)) return patch;
  // The walker's common case, merging one output into a fresh empty object: a copy of the
  // patch's top level without its null values (what the general path computes).
  if (doc.size === 0) {
    const copy = copyWithoutNulls(patch);
    return copy.size > 0 ? copy : doc;
  }
  return mergeMapClone(doc, patch) ?? doc;
}

/** mergeClone's result, built in `doc` when it is a map the caller owns. */
export function mergeOwned(doc: Value, patch: Value): Value {
  if (Array.isArray(patch)) return patch;
  if (!(patch instanceof Map)) return doc;
  if (!(doc instanceof Map)) return patch;
  mergeIntoOwned(doc, patch);
  return doc;
}

/**
 * mergeClone into a map the caller owns (made for this merge, shared with nobody): the same
 * result as mergeClone(doc, patch), without copying doc's top level again; nested objects are
 * still copied on write, as they may be shared.
 */
export function mergeIntoOwned(doc: VMap, patch: VMap): void {
  if (doc === patch) return;
  for (const [key, value] of patch) {
    if (value === null) doc.delete(key);
    else {
      const existing = doc.get(key);
      if (existing instanceof Map && value instanceof Map) {
        const merged = mergeMapClone(existing, value);
        if (merged) doc.set(key, merged);
      } else if (existing === undefined || !deepEqual(existing, value)) doc.set(key, value);
    }
  }
}

/** CloneOnWrite: a new map when something changed, undefined when nothing did. */
function mergeMapClone(doc: VMap, patch: VMap): VMap | undefined {
  if (doc === patch) return undefined;
  let changed = false;
  let copy: VMap | undefined;
  for (const [key, value] of patch) {
    copy ??= copyMap(doc);
    if (value === null) {
      if (copy.delete(key)) changed = true;
    } else {
      const existing = copy.get(key);
      if (existing instanceof Map && value instanceof Map) {
        const merged = mergeMapClone(existing, value);
        if (merged) {
          copy.set(key, merged);
          changed = true;
        }
      } else if (existing === undefined || !deepEqual(existing, value)) {
        copy.set(key, value);
        changed = true;
      }
    }
  }
  return changed ? copy : undefined;
}
