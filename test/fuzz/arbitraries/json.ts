import fc from 'fast-check';

/**
 * JSON values as the fuzzer writes them. JSON.stringify cannot write some of what a hostile client
 * sends (`1e309`, `-0`, duplicate keys, a `__proto__` member of a literal), so values are built
 * from plain JSON plus two markers, and written by `toJsonText`.
 */
export class Raw {
  constructor(readonly text: string) {}
}
/** An object written member by member: keys may repeat, and `__proto__` is a plain member. */
export class Members {
  constructor(readonly entries: readonly (readonly [string, Json])[]) {}
}
export type Json = null | boolean | number | string | Raw | Members | readonly Json[] | { readonly [key: string]: Json };

/** JSON text of a value; -0 is written as `-0`, Raw as is. Values nested deeper than ~200 are Raw text. */
export function toJsonText(value: Json): string {
  // A graph mutation may leave a member undefined: written as JSON.stringify would (null in an
  // array, left out of an object) instead of failing the run before any request is sent.
  if (value === null || value === undefined) return 'null';
  if (value instanceof Raw) return value.text;
  if (value instanceof Members) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (Object.is(value, -0)) return '-0';
      return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? '1e309' : value < 0 ? '-1e309' : 'null';
    case 'string':
      return JSON.stringify(value); // lone surrogates come out as \udXXX escapes, NUL as \u0000
    default:
      if (Array.isArray(value)) return `[${value.map((v) => toJsonText(v as Json)).join(',')}]`;
      return `{${Object.keys(value)
        .filter((k) => (value as Record<string, Json | undefined>)[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${toJsonText((value as Record<string, Json>)[k]!)}`)
        .join(',')}}`;
  }
}

/** Keys that have meant trouble somewhere: prototype pollution, empty, dots, operators, unicode. */
export const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__defineGetter__',
  '',
  ' ',
  'a.b',
  '$',
  '$nodes',
  '${x}',
  'a/b',
  '~1',
  '0',
  '-1',
  'null',
  '\u0000',
  '\ud800',
  '\ufeff',
  '\u202e',
  'é',
  'e\u0301',
  '😀',
  'x'.repeat(300),
] as const;

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_KEYS), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }), weight: 2 },
);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\ud83d\ude00',
  '__proto__',
  'constructor',
  'prototype',
  '$',
  '${x}',
  "'; DROP TABLE projects; --",
  '<script>alert(1)</script>',
  '\u202eevil',
  '\ufeff',
  'null',
  'true',
  '1e309',
  'NaN',
  'Infinity',
  '-0',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '\\',
  '\r\n',
  '\u2028\u2029',
  'é',
  'e\u0301',
  '𝒳',
  '\t',
  '{"a":1}',
] as const;

/** Strings: special ones, any unicode (lone surrogates included), and large ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: fc.oneof(loneSurrogate, fc.constantFrom('a', '\u0000', 'é', '😀')), maxLength: 8 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
  { arbitrary: hugeString(), weight: 1 },
);

/** A long string: 1 KB to ~300 KB, sometimes multi-byte. */
export function hugeString(max = 300_000): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 1000, max }), fc.constantFrom('x', 'é', '😀', '\\', '"', 'ab'))
    .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));
}

/** Numbers that break things: -0, the largest and smallest doubles, unsafe integers. */
export const specialNumber: fc.Arbitrary<number> = fc.constantFrom(
  -0,
  0,
  1,
  -1,
  0.1,
  1e308,
  -1e308,
  1.7976931348623157e308,
  5e-324,
  -5e-324,
  2 ** 53 + 2,
  -(2 ** 63),
  2 ** 31,
  1e21,
  1e-7,
);

/** Numbers written as text: overflow (1e309), underflow, -0, more digits than a double holds. */
export const RAW_NUMBERS = [
  '1e309',
  '-1e309',
  '1E400',
  '-0',
  '-0.0',
  '1e-400',
  '0e0',
  '1' + '0'.repeat(400),
  '123456789012345678901234567890',
  '4.9e-324',
  '1.0',
  '-0e-0',
  '0.' + '0'.repeat(300) + '1',
] as const;
export const rawNumber: fc.Arbitrary<Raw> = fc.constantFrom(...RAW_NUMBERS).map((t) => new Raw(t));

export const hostileScalar: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: hostileString, weight: 5 },
  { arbitrary: specialNumber, weight: 3 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 2 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: rawNumber, weight: 1 },
  { arbitrary: fc.constantFrom<Json>(true, false, null), weight: 2 },
);

/** Depths around the limit (VERDICT_MAX_JSON_DEPTH = 64), and far past it. */
export const NEST_DEPTHS = [2, 30, 61, 62, 63, 64, 65, 66, 100, 1000, 4000, 20_000, 200_000] as const;

/** A value nested `depth` levels deep (arrays, objects or both), written as text so any depth is cheap. */
export function nested(depth: number, kind: 'array' | 'object' | 'mixed', leaf = '1'): Raw {
  if (kind === 'array') return new Raw('['.repeat(depth) + leaf + ']'.repeat(depth));
  if (kind === 'object') return new Raw('{"a":'.repeat(depth) + leaf + '}'.repeat(depth));
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    if (i % 2 === 0) {
      open.push('[0,');
      close.push(']');
    } else {
      open.push('{"k":');
      close.push('}');
    }
  }
  return new Raw(open.join('') + leaf + close.reverse().join(''));
}

export const deepValue: fc.Arbitrary<Raw> = fc
  .tuple(fc.constantFrom(...NEST_DEPTHS), fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed'), fc.constantFrom('1', '"x"', 'null', '1e309', '[]', '{}'))
  .map(([d, k, leaf]) => nested(d, k, leaf));

/** Any hostile JSON value: scalars, small structures with hostile keys, deep values. */
export const hostileValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: hostileScalar, weight: 20 },
    { arbitrary: fc.array(tie('value'), { maxLength: 5 }), weight: 6 },
    { arbitrary: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 }).map((e) => new Members(e)), weight: 6 },
    { arbitrary: deepValue, weight: 1 },
  ),
})).value;

/** A JSON object with hostile members (an evaluation context, say). */
export const hostileObject: fc.Arbitrary<Members> = fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 6 }).map((e) => new Members(e));

/** JSON text that is not valid JSON, or barely is. */
export const brokenJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"context":',
    '{"context":{}',
    '{"context":{}}}',
    "{'context':{}}",
    '{"context":{},}',
    '{"context":{"a":01}}',
    '{"context":{"a":.5}}',
    '{"context":{"a":NaN}}',
    '{"context":{"a":Infinity}}',
    '{"context":{"a":undefined}}',
    '\ufeff{"context":{}}',
    '{"context":{"a":"\\x41"}}',
    '{"context":{"a":"\\u12"}}',
    '{"context":{"a":"\u0001"}}',
    'null',
    '[]',
    '"context"',
    '1e309',
    '{"context":{}} trailing',
    '{"__proto__":{"polluted":true},"context":{}}',
    '{"context":{"__proto__":{"polluted":true}}}',
    '{"context":{"constructor":{"prototype":{"polluted":true}}}}',
    '{"context":{},"context":[]}',
  ),
  fc.string({ unit: 'binary', maxLength: 50 }),
);

/** `arb` one time in `oneIn`, else null (fc.option's freq is the other way round: 1/freq is null). */
export function sometimes<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: oneIn - 1 }, { arbitrary: arb, weight: 1 });
}
