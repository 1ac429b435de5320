/**
 * JSON text can hold values that JavaScript parses but that cannot be stored or hashed: a number
 * beyond ±1.8e308 (`1e309`) parses to Infinity, which canonical JSON refuses; a `\u0000` is refused
 * by PostgreSQL text and jsonb; a lone `\ud800` is not Unicode, and canonical JSON refuses it. Found
 * before anything is stored, they are the client's mistake, named by path, not a 500.
 */

export type UnrepresentableReason = 'non-finite-number' | 'nul-character' | 'lone-surrogate';

export interface Unrepresentable {
  /** JSON Pointer (RFC 6901) to the value, or to the member whose name is at fault. */
  readonly path: string;
  readonly reason: UnrepresentableReason;
}

export const UNREPRESENTABLE_MESSAGES: Record<UnrepresentableReason, string> = {
  'non-finite-number': 'must be a finite number: numbers beyond ±1.8e308 (such as 1e309) read as Infinity',
  'nul-character': 'must not contain a NUL character (\\u0000), which the database cannot store',
  'lone-surrogate': 'must not contain an unpaired surrogate (\\ud800-\\udfff), which is not Unicode',
};

// With the u flag a well-formed surrogate pair is one code point; only unpaired halves are Cs.
const LONE_SURROGATE = /\p{Cs}/u;

const pointerToken = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The first value (depth first, in document order) that cannot be stored or hashed, if any.
 * `allowNul`: only what canonical JSON refuses (NUL characters hash fine).
 */
export function findUnrepresentable(value: unknown, { allowNul = false } = {}): Unrepresentable | undefined {
  const stringFault = (text: string): UnrepresentableReason | undefined => {
    if (!allowNul && text.includes('\u0000')) return 'nul-character';
    if (LONE_SURROGATE.test(text)) return 'lone-surrogate';
    return undefined;
  };
  // Iterative: a deeply nested document must not overflow the stack here.
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path: path || '/', reason: 'non-finite-number' };
    } else if (typeof current === 'string') {
      const reason = stringFault(current);
      if (reason) return { path: path || '/', reason };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: `${path}/${i}` });
    } else if (current !== null && typeof current === 'object') {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, member] = entries[i]!;
        const memberPath = `${path}/${pointerToken(key)}`;
        const reason = stringFault(key);
        if (reason) return { path: memberPath, reason };
        stack.push({ value: member, path: memberPath });
      }
    }
  }
  return undefined;
}

/**
 * A cheap test on JSON text: false means parsing it cannot give an unrepresentable value, so the
 * walk is skipped. Infinity needs an exponent of three digits or a very long run of digits (below
 * 200 digits and with a two-digit exponent a number stays under 1e298); NUL and surrogates in
 * JSON text can only be written as \u escapes (raw control characters are invalid JSON, and
 * decoded UTF-8 holds no lone surrogates).
 */
const SUSPECT_TEXT = /[eE]\+?\d{3}|\d{200}|\\u0000|\\u[dD][89a-fA-F]/;

export function mayHoldUnrepresentable(jsonText: string): boolean {
  return SUSPECT_TEXT.test(jsonText);
}

/** Thrown by canonical JSON for such a value: the caller's input, with where it is. */
export class UnrepresentableValueError extends TypeError {
  override name = 'UnrepresentableValueError';
  constructor(readonly fault: Unrepresentable) {
    super(`${fault.path} ${UNREPRESENTABLE_MESSAGES[fault.reason]}`);
  }
}
