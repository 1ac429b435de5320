/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a value: the output, and the errors, of the
 * `canonicalize` package (4.0) that Verdict hashed with before, so every stored content hash stays
 * the same. That package recurses once per nesting level: a request body nested a few thousand
 * levels deep (cheap to send, and parsed without trouble) overflowed the stack and answered 500.
 * This one recurses too (as fast), but only RECURSION_LIMIT levels: below that it walks the value
 * with an explicit stack, so depth costs memory, not stack.
 *
 * Keys are sorted by UTF-16 code units, strings and numbers are written by JSON.stringify (ES
 * number formatting, as the RFC requires); NaN, Infinity and lone surrogates are refused, as are
 * circular references; `toJSON` is honoured; undefined and symbols are left out of objects and
 * written as null in arrays. Undefined at the top gives undefined, as JSON.stringify does. (Of
 * several faults in one value, the one reported may differ from the package's.)
 */
export function canonicalJsonText(root: unknown): string | undefined {
  return write(root, new Set(), 0);
}

/** Recursion is the fast way for the usual shallow documents; deeper than this, the stack is explicit. */
const RECURSION_LIMIT = 500;

function write(value: unknown, seen: Set<object>, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return scalar(value);
  if (depth >= RECURSION_LIMIT) return writeDeep(value, seen);
  if (seen.has(value)) throw new Error('Circular reference detected');
  seen.add(value);
  let result: string | undefined;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    result = write(toJSON.call(value), seen, depth + 1);
  } else if (Array.isArray(value)) {
    const parts: string[] = new Array<string>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as unknown;
      parts[i] = String(write(item === undefined || typeof item === 'symbol' ? null : item, seen, depth + 1));
    }
    result = `[${parts.join(',')}]`;
  } else {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined || typeof member === 'symbol') continue;
      parts.push(`${scalar(key)}:${String(write(member, seen, depth + 1))}`);
    }
    result = `{${parts.join(',')}}`;
  }
  seen.delete(value);
  return result;
}

/** The same output for an object nested deeper than RECURSION_LIMIT, walked with an explicit stack. */
function writeDeep(root: object, seen: Set<object>): string {
  // Strings on the stack are output; objects still to be written are wrapped; Leave ends one.
  const stack: (string | Pending | Leave)[] = [new Pending(root)];
  const out: string[] = [];
  while (stack.length > 0) {
    const task = stack.pop()!;
    if (typeof task === 'string') {
      out.push(task);
      continue;
    }
    if (task instanceof Leave) {
      seen.delete(task.object);
      continue;
    }
    const value = task.value;
    if (seen.has(value)) throw new Error('Circular reference detected');
    seen.add(value);
    stack.push(new Leave(value));
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      stack.push(child(toJSON.call(value)));
    } else if (Array.isArray(value)) {
      stack.push(']');
      for (let i = value.length - 1; i >= 0; i--) {
        const item = value[i] as unknown;
        stack.push(child(item === undefined || typeof item === 'symbol' ? null : item));
        if (i > 0) stack.push(',');
      }
      stack.push('[');
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      stack.push('}');
      let first = true;
      for (let i = keys.length - 1; i >= 0; i--) {
        const member = record[keys[i]!];
        if (member === undefined || typeof member === 'symbol') continue;
        if (!first) stack.push(',');
        first = false;
        stack.push(child(member), ':', scalar(keys[i]!)!);
      }
      stack.push('{');
    }
  }
  return out.join('');
}

class Pending {
  constructor(readonly value: object) {}
}
class Leave {
  constructor(readonly object: object) {}
}

/** A member or item: written at once when it is a scalar, else left for the loop. */
function child(value: unknown): string | Pending {
  return value !== null && typeof value === 'object' ? new Pending(value) : String(scalar(value));
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isNaN(value)) throw new Error('NaN is not allowed');
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('Infinity is not allowed');
  if (typeof value === 'string' && hasLoneSurrogate(value)) throw new Error('Lone surrogate is not allowed');
  // A function member comes out as 'undefined', as it did with the package (String() below).
  return JSON.stringify(value) as string | undefined;
}

function hasLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      if (i === value.length - 1) return true;
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return true;
    }
  }
  return false;
}
