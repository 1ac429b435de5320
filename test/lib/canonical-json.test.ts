import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJsonText } from '../../src/lib/canonical-json.js';
import { canonicalJson, contentHash } from '../../src/lib/hash.js';
import { corpusFiles, readCorpus } from '../helpers/corpus.js';

/** What the `canonicalize` package (the reference Verdict hashed with before) makes of a value: its text, or that it refuses it. */
function reference(value: unknown): string | undefined | 'refused' {
  try {
    return canonicalize(value);
  } catch {
    return 'refused';
  }
}

function ours(value: unknown): string | undefined | 'refused' {
  try {
    return canonicalJsonText(value);
  } catch {
    return 'refused';
  }
}

// Strings with any code unit, lone surrogates included, and keys that sort in surprising ways.
const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), fc.constantFrom('', '__proto__', 'a', 'A', 'é', '😀', '\u0000'));
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2));
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    number,
    fc.constantFrom(true, false, null, undefined),
    fc.array(tie('v')),
    fc.dictionary(text, tie('v'), { noNullPrototype: false }),
    fc.date({ noInvalidDate: true }),
  ),
})).v;

describe('canonical JSON (RFC 8785)', () => {
  it('writes exactly what the canonicalize package wrote, and refuses what it refused', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(ours(v)).toBe(reference(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives every corpus graph the hash it had', () => {
    for (const folder of ['graphs', 'engine-cases'] as const) {
      for (const file of corpusFiles(folder)) {
        const doc = readCorpus(folder, file);
        expect(canonicalJsonText(doc), file).toBe(canonicalize(doc));
      }
    }
  });

  it('refuses circular references, NaN and Infinity, and gives undefined for undefined', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(() => canonicalJsonText(cycle)).toThrow(/Circular/);
    expect(() => canonicalJsonText([1, Number.NaN])).toThrow(/NaN/);
    expect(() => canonicalJsonText({ x: Infinity })).toThrow(/Infinity/);
    expect(canonicalJsonText(undefined)).toBeUndefined();
    // The same object twice is not a cycle.
    const shared = { b: 2 };
    expect(canonicalJsonText({ x: shared, y: [shared] })).toBe('{"x":{"b":2},"y":[{"b":2}]}');
  });

  // Regression: the package recursed per level, so a request body nested ~10,000 deep (a few KB)
  // overflowed the stack when its Idempotency-Key hash was taken: a 500 instead of the route's answer.
  it('handles values nested far deeper than the stack would allow', () => {
    const depth = 100_000;
    const deep = JSON.parse('['.repeat(depth) + ']'.repeat(depth));
    expect(() => canonicalize(deep)).toThrow(RangeError);
    expect(canonicalJson(deep)).toBe('['.repeat(depth) + ']'.repeat(depth));
    const objects = JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    expect(contentHash(objects)).toMatch(/^[0-9a-f]{64}$/);
  });
});
