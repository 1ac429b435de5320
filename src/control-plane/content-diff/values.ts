/**
 * Small helpers over untrusted JSON values: equality, bounded display, paths. All iterative or
 * depth-capped, since a graph's content may be nested deeper than the call stack allows.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** Structural equality of two JSON values (object key order ignored), with an explicit stack. */
export function sameJson(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]]);
      continue;
    }
    if (Array.isArray(y)) return false;
    const xk = Object.keys(x);
    if (xk.length !== Object.keys(y).length) return false;
    for (const k of xk) {
      if (!hasOwn(y, k)) return false;
      stack.push([(x as JsonObject)[k], (y as JsonObject)[k]]);
    }
  }
  return true;
}

/** A string cut to `max` characters, saying how much is left out. */
export function cutText(text: string, max: number): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  return { text: `${text.slice(0, max)}… (${text.length - max} more characters)`, cut: true };
}

/**
 * A value small enough to show: strings cut, objects and arrays whose JSON would exceed `max`
 * characters replaced by a one-line summary. Serialises at most `max` characters, whatever the size.
 */
export function shown(value: unknown, limits: { maxTextLength: number; maxValueLength: number }): { value: unknown; elided: boolean } {
  if (typeof value === 'string') {
    const { text, cut } = cutText(value, limits.maxTextLength);
    return { value: text, elided: cut };
  }
  if (typeof value !== 'object' || value === null) return { value, elided: false };
  if (boundedJsonLength(value, limits.maxValueLength) <= limits.maxValueLength) return { value, elided: false };
  const n = Array.isArray(value) ? value.length : Object.keys(value).length;
  const summary = Array.isArray(value) ? `[array of ${n} item${n === 1 ? '' : 's'}, not shown]` : `{object with ${n} key${n === 1 ? '' : 's'}, not shown}`;
  return { value: summary, elided: true };
}

/** Length of the JSON text of `value`, counted only up to just past `max` (then it stops). */
function boundedJsonLength(value: unknown, max: number): number {
  let length = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && length <= max) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      length += 2 + Math.max(0, v.length - 1);
      for (const item of v) stack.push(item);
    } else if (isObject(v)) {
      const keys = Object.keys(v);
      length += 2 + Math.max(0, keys.length - 1);
      for (const k of keys) {
        length += k.length + 3;
        stack.push(v[k]);
      }
    } else {
      length += typeof v === 'string' ? v.length + 2 : String(v).length;
    }
  }
  return length;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `base.key` or `base["odd key"]`, keys cut so a hostile key cannot make a path huge. */
export function pathOf(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENTIFIER.test(key) && key.length <= 64) return `${base}.${key}`;
  return `${base}[${JSON.stringify(cutText(key, 64).text)}]`;
}

/** A string property, or undefined. */
export function text(o: unknown, key: string): string | undefined {
  if (!isObject(o)) return undefined;
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

/** The object without the given keys (for the generic diff of what has no dedicated kind). */
export function without(o: JsonObject, keys: ReadonlySet<string>): JsonObject {
  // No prototype: a member named "__proto__" (JSON.parse makes it an own key) stays a plain key.
  const rest: JsonObject = Object.create(null) as JsonObject;
  for (const k of Object.keys(o)) if (!keys.has(k)) rest[k] = o[k];
  return rest;
}
