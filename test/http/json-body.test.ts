import { describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH, nestingExceeds } from '../../src/http/json-body.js';

describe('nesting of JSON body text', () => {
  it('counts brackets outside strings only, over escapes', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(nestingExceeds(deep(10), 10)).toBe(false);
    expect(nestingExceeds(`{"a":${deep(11)}}`, 10)).toBe(true);
    const inString = `{"a":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`;
    expect(nestingExceeds(inString, 10)).toBe(false);
    expect(nestingExceeds(`{"a":"\\\\",${'"b":'}${deep(11)}}`, 10)).toBe(true); // an escaped backslash ends its string
    // Sibling structures do not add up.
    expect(nestingExceeds(`[${Array.from({ length: 50 }, () => deep(9)).join(',')}]`, 10)).toBe(false);
    expect(MAX_BODY_DEPTH).toBeGreaterThan(2000 + 8); // the highest VERDICT_MAX_JSON_DEPTH, in its request
  });
});
