import { EnginePanic, notSure } from '../errors.js';

/**
 * Numbers as zen-engine holds them: rust_decimal 1.40 (a 96-bit integer mantissa and a scale of
 * 0..28, value = m / 10^s). A general decimal library (decimal.js, big.js) computes different
 * digits where rust_decimal rounds (division to ~28 digits with banker's rounding, products
 * rescaled into 96 bits) and forgets trailing zeros that `string(1.5 * 2)` shows as "3.0", so
 * this is a small port of the rust_decimal rules zen uses, on BigInt. Where we have not ported a
 * rule (rare overflows, non-integer powers) the operation throws NotSure and zen decides.
 */
const SMALL_POW10 = [1, 10, 100, 1000];

export class Dec {
  #m: bigint | undefined;
  #s: number;
  /**
   * `num`: a JS number whose shortest round-trip digits are this value (NaN when there is none
   * known). Context numbers and plain literals carry it, so comparing two of them and handing one
   * back to JavaScript skip BigInt; the mantissa is only built when arithmetic or display asks.
   */
  readonly num: number;

  /**
   * `negZero`: rust_decimal keeps a sign on zero (`ceil(-0.07)` shows as "-0"); only display
   * shows it. `unsureDisplay`: the value is right but not how rust_decimal writes it (a zero of
   * unchecked sign, a remainder's scale): `string()` of it is left to zen.
   */
  constructor(
    m: bigint | undefined,
    s: number,
    readonly negZero = false,
    readonly unsureDisplay = false,
    num = Number.NaN,
  ) {
    this.#m = m;
    this.#s = s;
    this.num = num;
  }

  get m(): bigint {
    if (this.#m === undefined) this.#materialize();
    return this.#m!;
  }

  get s(): number {
    if (this.#m === undefined) this.#materialize();
    return this.#s;
  }

  /** Mantissa and scale of `num` as zen-engine receives the number (see decFromJsNumber). */
  #materialize(): void {
    const x = this.num;
    if (Number.isInteger(x)) {
      // i32 and u32 cross napi as integers; other integers as f64 that ryu writes "N.0".
      const wide = x < -2147483648 || x > 4294967295;
      this.#m = wide ? BigInt(x) * TEN : BigInt(x);
      this.#s = wide ? 1 : 0;
      return;
    }
    // One to three decimals below 1e9 (prices, weights): the double within 1e-7 of m / 10^k
    // that m / 10^k rounds back to is the only k-decimal candidate, so the shortest digits.
    if (x > -1e9 && x < 1e9) {
      for (let k = 1; k <= 3; k++) {
        const m = Math.round(x * SMALL_POW10[k]!);
        if (m / SMALL_POW10[k]! === x) {
          this.#m = BigInt(m);
          this.#s = k;
          return;
        }
      }
    }
    const text = String(x);
    const dot = text.indexOf('.');
    this.#m = BigInt(text.slice(0, dot) + text.slice(dot + 1));
    this.#s = text.length - dot - 1;
  }
}

/**
 * A context number whose digits cannot overflow rust_decimal: integers below 2^53 and plain
 * (non-exponent) fractions from 1e-6 to 1e21, whose shortest digits are at most 17 with a scale
 * of at most 23. Others return undefined and take the exact path that may panic.
 */
export function lazyDecOfNumber(x: number): Dec | undefined {
  const a = Math.abs(x);
  if (Number.isInteger(x)) return a < 9007199254740992 ? new Dec(undefined, 0, false, false, x) : undefined;
  return a >= 1e-6 && a < 1e21 ? new Dec(undefined, 0, false, false, x) : undefined;
}

export const MAX_MANTISSA = (1n << 96n) - 1n;
export const MAX_SCALE = 28;
export const TEN = 10n;
const POW10: bigint[] = [];
for (let i = 0, p = 1n; i <= 80; i++, p *= TEN) POW10.push(p);
export const pow10 = (n: number): bigint => POW10[n] ?? TEN ** BigInt(n);

export const ZERO = new Dec(0n, 0, false, false, 0);
export const ONE = new Dec(1n, 0, false, false, 1);

export const abs = (v: bigint): bigint => (v < 0n ? -v : v);

export const isZero = (d: Dec): boolean => (d.num === d.num ? d.num === 0 : d.m === 0n);

export function aligned(a: Dec, b: Dec): [bigint, bigint, number] {
  if (a.s === b.s) return [a.m, b.m, a.s];
  if (a.s > b.s) return [a.m, b.m * pow10(a.s - b.s), a.s];
  return [a.m * pow10(b.s - a.s), b.m, b.s];
}

export function compare(a: Dec, b: Dec): number {
  // Shortest round-trip digits are strictly monotone in the double they stand for.
  const p = a.num;
  const q = b.num;
  if (p === p && q === q) return p < q ? -1 : p > q ? 1 : 0;
  if (a.s === b.s) return a.m < b.m ? -1 : a.m > b.m ? 1 : 0;
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const equals = (a: Dec, b: Dec): boolean => compare(a, b) === 0;

/** Half-to-even division of m by 10^t (rust_decimal's rescale keeps a sticky bit). */
export function divPow10HalfEven(m: bigint, t: number): bigint {
  if (t === 0) return m;
  const p = pow10(t);
  const negative = m < 0n;
  const a = negative ? -m : m;
  let q = a / p;
  const r = a - q * p;
  const twice = r * 2n;
  if (twice > p || (twice === p && (q & 1n) === 1n)) q += 1n;
  return negative ? -q : q;
}

/**
 * A product or sum rust_decimal fits back into 96 bits and scale <= 28 (Buf24::rescale): drop as
 * few digits as needed, rounding half to even on the exact value. Below scale 0 it overflows,
 * which the `+ - *` operators turn into a panic.
 */
export function fit(m: bigint, s: number, what: string, unsureDisplay: boolean): Dec {
  if (s <= MAX_SCALE && abs(m) <= MAX_MANTISSA) return new Dec(m, s, false, unsureDisplay);
  let t = Math.max(0, s - MAX_SCALE);
  while (abs(m) / pow10(t) > MAX_MANTISSA) t++;
  if (t > s) throw new EnginePanic(`${what} overflowed`);
  const rounded = divPow10HalfEven(m, t);
  // Rounding up to exactly 2^96 takes one more digit in rust_decimal: not modelled.
  if (abs(rounded) > MAX_MANTISSA) return notSure(`${what} rounding at the 96-bit limit`);
  return new Dec(rounded, s - t, false, unsureDisplay);
}

/** Integer-valued `exp` as an i64, or undefined. */
export function integerValue(d: Dec): bigint | undefined {
  const p = pow10(d.s);
  if (d.m % p !== 0n) return undefined;
  return d.m / p;
}

export function decFromInt(n: number): Dec {
  return Number.isSafeInteger(n) ? new Dec(BigInt(n), 0, false, false, n) : new Dec(BigInt(n), 0);
}
