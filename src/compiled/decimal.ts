import { EnginePanic, EngineWouldCrash, notSure } from './errors.js';

/**
 * Numbers as zen-engine holds them: rust_decimal 1.40 (a 96-bit integer mantissa and a scale of
 * 0..28, value = m / 10^s). A general decimal library (decimal.js, big.js) computes different
 * digits where rust_decimal rounds (division to ~28 digits with banker's rounding, products
 * rescaled into 96 bits) and forgets trailing zeros that `string(1.5 * 2)` shows as "3.0", so
 * this is a small port of the rust_decimal rules zen uses, on BigInt. Where we have not ported a
 * rule (rare overflows, non-integer powers) the operation throws NotSure and zen decides.
 */
export class Dec {
  /**
   * `negZero`: rust_decimal keeps a sign on zero (`ceil(-0.07)` shows as "-0"); only display
   * shows it. `unsureDisplay`: the value is right but not how rust_decimal writes it (a zero of
   * unchecked sign, a remainder's scale): `string()` of it is left to zen.
   */
  constructor(
    readonly m: bigint,
    readonly s: number,
    readonly negZero = false,
    readonly unsureDisplay = false,
  ) {}
}

const MAX_MANTISSA = (1n << 96n) - 1n;
const MAX_SCALE = 28;
const TEN = 10n;
const POW10: bigint[] = [];
for (let i = 0, p = 1n; i <= 80; i++, p *= TEN) POW10.push(p);
const pow10 = (n: number): bigint => POW10[n] ?? TEN ** BigInt(n);

export const ZERO = new Dec(0n, 0);
export const ONE = new Dec(1n, 0);

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/**
 * A context number as zen-engine receives it through napi: integers that fit i32 or u32 as
 * integers; every other number as an f64 that serde_json writes with ryu (the shortest digits,
 * `N.0` for other integers below 1e16, exponent notation from 1e16) and rust_decimal parses
 * back: so 4294967296 arrives as 4294967296.0 and shows as such in `string()`. A number it
 * cannot hold (scale above 28, beyond 96 bits) makes the engine panic.
 */
export function decFromJsNumber(x: number): Dec {
  if (Number.isInteger(x) && x >= -2147483648 && x <= 4294967295) return new Dec(BigInt(x), 0);
  if (!Number.isFinite(x)) throw new EnginePanic('a context number that is not finite');
  const parsed = parseScientificOrPlain(x.toExponential());
  if (!parsed) throw new EnginePanic(`the engine cannot hold the context number ${x}`);
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return new Dec(parsed.m * TEN, 1);
  return parsed;
}

const PLAIN = /^([+-]?)(\d+(?:_\d+)*)(?:\.(\d+(?:_\d+)*))?$/;
const SCI = /^([+-]?)(\d+(?:_\d+)*)(?:\.(\d+(?:_\d+)*))?[eE]([+-]?\d+)$/;

/**
 * rust_decimal's `from_str_exact(s).or_else(from_scientific(s))` for the strings we are sure of:
 * plain and scientific notation whose value fits without rounding. Returns undefined for text
 * that certainly is not a number, throws NotSure for text whose treatment we have not checked
 * (underscores, a lone dot, more digits than fit).
 */
export function parseDecimal(text: string): Dec | undefined {
  if (text === '' || !/\d/.test(text) || /[^0-9+\-._eE]/.test(text)) return undefined;
  const result = parseScientificOrPlain(text);
  if (result) return result;
  return notSure(`number text ${JSON.stringify(text.slice(0, 40))}`);
}

function parseScientificOrPlain(text: string): Dec | undefined {
  let match = PLAIN.exec(text);
  if (match) {
    const [, sign, intText, fracText = ''] = match;
    const int = intText!.replaceAll('_', '');
    const frac = fracText.replaceAll('_', '');
    const s = frac.length;
    const m = BigInt(int + frac);
    if (s > MAX_SCALE || m > MAX_MANTISSA) return undefined;
    return new Dec(sign === '-' ? -m : m, s, sign === '-' && m === 0n);
  }
  match = SCI.exec(text);
  if (!match) return undefined;
  const [, sign, intText, fracText = '', expText] = match;
  const int = intText!.replaceAll('_', '');
  const frac = fracText.replaceAll('_', '');
  const exp = Number(expText);
  let m = BigInt(int + frac);
  let s = frac.length - exp;
  if (s < 0) {
    m *= pow10(-s);
    s = 0;
  }
  if (s > MAX_SCALE || m > MAX_MANTISSA) return undefined;
  return new Dec(sign === '-' ? -m : m, s, sign === '-' && m === 0n);
}

/** rust_decimal's Display: every digit, the scale's trailing zeros, no exponent. */
export function formatDecimal(d: Dec): string {
  if (d.unsureDisplay) return notSure('display of a number whose scale or sign we do not model');
  const negative = d.m < 0n || d.negZero;
  let digits = abs(d.m).toString();
  if (d.s > 0) {
    if (digits.length <= d.s) digits = '0'.repeat(d.s - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - d.s)}.${digits.slice(digits.length - d.s)}`;
  }
  return negative ? `-${digits}` : digits;
}

const U64_LIMIT = 1n << 64n;
const I64_MIN = -(1n << 63n);

/**
 * The JS number zen-engine's Node binding hands back: `normalize().to_string()` parsed as i64,
 * u64 or f64. An integer outside both i64 and u64 has no conversion there: napi unwraps None and
 * the process aborts.
 */
export function decToJsNumber(d: Dec): number {
  if (d.m === 0n) return 0;
  let { m, s } = d;
  while (s > 0 && m % TEN === 0n) {
    m /= TEN;
    s--;
  }
  if (s === 0) {
    if (m >= U64_LIMIT || m < I64_MIN) throw new EngineWouldCrash('an integer result beyond 64 bits');
    return Number(m);
  }
  return Number(formatDecimal(new Dec(m, s)));
}

export const isZero = (d: Dec): boolean => d.m === 0n;

function aligned(a: Dec, b: Dec): [bigint, bigint, number] {
  if (a.s === b.s) return [a.m, b.m, a.s];
  if (a.s > b.s) return [a.m, b.m * pow10(a.s - b.s), a.s];
  return [a.m * pow10(b.s - a.s), b.m, b.s];
}

export function compare(a: Dec, b: Dec): number {
  if (a.s === b.s) return a.m < b.m ? -1 : a.m > b.m ? 1 : 0;
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const equals = (a: Dec, b: Dec): boolean => compare(a, b) === 0;

/** Half-to-even division of m by 10^t (rust_decimal's rescale keeps a sticky bit). */
function divPow10HalfEven(m: bigint, t: number): bigint {
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
function fit(m: bigint, s: number, what: string, unsureDisplay: boolean): Dec {
  if (s <= MAX_SCALE && abs(m) <= MAX_MANTISSA) return new Dec(m, s, false, unsureDisplay);
  let t = Math.max(0, s - MAX_SCALE);
  while (abs(m) / pow10(t) > MAX_MANTISSA) t++;
  if (t > s) throw new EnginePanic(`${what} overflowed`);
  const rounded = divPow10HalfEven(m, t);
  // Rounding up to exactly 2^96 takes one more digit in rust_decimal: not modelled.
  if (abs(rounded) > MAX_MANTISSA) return notSure(`${what} rounding at the 96-bit limit`);
  return new Dec(rounded, s - t, false, unsureDisplay);
}

export function add(a: Dec, b: Dec): Dec {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const [x, y, s] = aligned(a, b);
  if (x + y === 0n) return new Dec(0n, s, false, true);
  // A result's scale follows its operands': one whose display we do not model spreads.
  return fit(x + y, s, 'addition', a.unsureDisplay || b.unsureDisplay);
}

export function subtract(a: Dec, b: Dec): Dec {
  if (a.m === 0n) return b.m === 0n ? b : new Dec(-b.m, b.s, false, b.unsureDisplay);
  if (b.m === 0n) return a;
  const [x, y, s] = aligned(a, b);
  if (x === y) return new Dec(0n, s, false, true);
  return fit(x - y, s, 'subtraction', a.unsureDisplay || b.unsureDisplay);
}

export function multiply(a: Dec, b: Dec): Dec {
  if (a.m === 0n || b.m === 0n) return ZERO;
  return fit(a.m * b.m, a.s + b.s, 'multiplication', a.unsureDisplay || b.unsureDisplay);
}

export function negate(a: Dec): Dec {
  if (a.m === 0n) return new Dec(0n, a.s, !a.negZero, a.unsureDisplay);
  return new Dec(-a.m, a.s, false, a.unsureDisplay);
}

/** `checked_div`: undefined for a zero divisor and on overflow (the VM pushes null then). */
export function divide(a: Dec, b: Dec): Dec | undefined {
  if (b.m === 0n) return undefined;
  if (a.m === 0n) return ZERO;
  const negative = a.m < 0n !== b.m < 0n;
  const A = abs(a.m);
  const B = abs(b.m);
  let scale = a.s - b.s;
  let q = A / B;
  let r = A - q * B;
  let requireUnscale = false;
  // The loop of rust_decimal's div_impl: scale the quotient up by at most 10^9 at a time while it
  // fits in 96 bits, then round the rest half to even.
  for (;;) {
    let power = 0;
    if (r === 0n) {
      if (scale >= 0) break;
      power = Math.min(9, -scale);
    } else {
      requireUnscale = true;
      let willOverflow: boolean;
      if (scale === MAX_SCALE) willOverflow = true;
      else {
        const found = findScale(q, scale);
        if (found === undefined) return undefined;
        power = found;
        willOverflow = found === 0;
      }
      if (willOverflow) {
        const twice = r * 2n;
        if (twice > B || (twice === B && (q & 1n) === 1n)) {
          q += 1n;
          if (q > MAX_MANTISSA) return notSure('division rounding at the 96-bit limit');
        }
        break;
      }
    }
    const p = pow10(power);
    scale += power;
    q *= p;
    if (q > MAX_MANTISSA) return undefined;
    const scaled = r * p;
    const digits = scaled / B;
    r = scaled - digits * B;
    q += digits;
    if (q > MAX_MANTISSA) {
      // unscale_from_overflow: one digit back, rounding half to even with a sticky remainder.
      scale -= 1;
      if (scale < 0) return undefined;
      const last = q % TEN;
      q /= TEN;
      if (last > 5n || (last === 5n && (r !== 0n || (q & 1n) === 1n))) q += 1n;
      break;
    }
  }
  if (requireUnscale) [q, scale] = unscale(q, scale);
  return new Dec(negative ? -q : q, scale, false, q === 0n || a.unsureDisplay || b.unsureDisplay);
}

/**
 * Buf12::find_scale: the largest power of ten (<= 9, scale <= 28) keeping q within 96 bits.
 * Undefined (the division overflows) only where the engine checks it: a negative scale that the
 * power found cannot bring to zero, except when all nine digits fit (that path skips the check).
 */
function findScale(q: bigint, scale: number): number | undefined {
  let x = Math.min(9, MAX_SCALE - scale);
  while (x > 0 && q * pow10(x) > MAX_MANTISSA) x--;
  if (x === 9) return x;
  if (x + scale < 0) return undefined;
  return x;
}

/** div_impl's `unscale`: drops trailing zeros, but only in the steps rust_decimal takes. */
function unscale(q: bigint, scale: number): [bigint, number] {
  while ((q & 0xffffffffn) === 0n && scale >= 8 && q % 100000000n === 0n) {
    q /= 100000000n;
    scale -= 8;
  }
  if ((q & 0xfn) === 0n && scale >= 4 && q % 10000n === 0n) {
    q /= 10000n;
    scale -= 4;
  }
  if ((q & 0x3n) === 0n && scale >= 2 && q % 100n === 0n) {
    q /= 100n;
    scale -= 2;
  }
  if ((q & 0x1n) === 0n && scale >= 1 && q % TEN === 0n) {
    q /= TEN;
    scale -= 1;
  }
  return [q, scale];
}

/** `a % b`: truncated remainder with the dividend's sign; `% 0` panics in the engine. */
export function remainder(a: Dec, b: Dec): Dec {
  if (b.m === 0n) throw new EnginePanic('remainder by zero');
  if (a.m === 0n) return ZERO;
  // rem_impl: |a| == |b| gives ZERO, |a| < |b| gives a as it is, else the remainder at the larger scale.
  const [x, y, s] = aligned(a, b);
  const c = abs(x) === abs(y) ? 0 : abs(x) < abs(y) ? -1 : 1;
  if (c === 0) return ZERO;
  if (c < 0) return a;
  if (abs(x) > MAX_MANTISSA || abs(y) > MAX_MANTISSA) return notSure('remainder of unaligned operands');
  const r = x % y;
  // Integers keep scale 0; with decimals rust_decimal's rem_impl picks a scale we do not model.
  return new Dec(r, s, false, r === 0n || s > 0 || a.unsureDisplay || b.unsureDisplay);
}

export function absolute(a: Dec): Dec {
  if (a.m < 0n) return new Dec(-a.m, a.s, false, a.unsureDisplay);
  return a.negZero ? new Dec(0n, a.s, false, a.unsureDisplay) : a;
}

/** Integer-valued `exp` as an i64, or undefined. */
function integerValue(d: Dec): bigint | undefined {
  const p = pow10(d.s);
  if (d.m % p !== 0n) return undefined;
  return d.m / p;
}

/** `checked_powd` for integer exponents whose exact power fits; others are left to zen. */
export function power(base: Dec, exp: Dec): Dec | undefined {
  if (exp.m === 0n) return ONE;
  if (base.m === 0n) return ZERO;
  if (compare(base, ONE) === 0) return ONE;
  if (compare(exp, ONE) === 0) return base;
  const n = integerValue(exp);
  if (n === undefined) return notSure('a power with a non-integer exponent');
  const k = n < 0n ? -n : n;
  if (k > 400n) return notSure('a power with a large exponent');
  const m = base.m ** k;
  const s = base.s * Number(k);
  if (s > MAX_SCALE || abs(m) > MAX_MANTISSA) return notSure('a power that needs rounding');
  // rust_decimal's powi writes its result without the trailing zeros this product keeps
  // (10.0 ^ 3 shows as 1000): the value is exact, its display is left to zen.
  const exact = new Dec(m, s, false, true);
  if (n > 0n) return exact;
  return divide(ONE, exact) ?? notSure('a negative power that overflows');
}

/** rust_decimal `trunc_with_scale(dp)`: cuts digits, or pads zeros up to scale dp (1 -> 1.00). */
export function truncate(a: Dec, dp = 0): Dec {
  if (dp === a.s) return a;
  if (dp > a.s) {
    if (dp > MAX_SCALE) return notSure('trunc to more than 28 places');
    const m = a.m * pow10(dp - a.s);
    if (abs(m) > MAX_MANTISSA) return notSure('trunc padding beyond 96 bits');
    return new Dec(m, dp, a.negZero, a.unsureDisplay);
  }
  const p = pow10(a.s - dp);
  const m = a.m / p;
  // The sign stays on a zero result: trunc(-0.07) shows as "-0".
  return new Dec(m, dp, m === 0n && a.m < 0n);
}

export function floor(a: Dec): Dec {
  if (a.s === 0) return a;
  const t = truncate(a);
  return a.m < 0n && t.m * pow10(a.s) !== a.m ? new Dec(t.m - 1n, 0) : t;
}

export function ceil(a: Dec): Dec {
  if (a.s === 0) return a;
  const t = truncate(a);
  return a.m > 0n && t.m * pow10(a.s) !== a.m ? new Dec(t.m + 1n, 0) : t; // ceil(-0.07) is -0
}

/** `round_dp_with_strategy(dp, MidpointAwayFromZero)`. */
export function round(a: Dec, dp = 0): Dec {
  if (dp >= a.s) return a;
  const p = pow10(a.s - dp);
  const negative = a.m < 0n;
  const x = negative ? -a.m : a.m;
  let q = x / p;
  if ((x - q * p) * 2n >= p) q += 1n;
  return new Dec(negative ? -q : q, dp, false, (negative && q === 0n) || a.unsureDisplay);
}

/** rust_decimal `to_usize` / `to_i64` / `to_u32`: the integer part, or undefined. */
export function toInteger(a: Dec): bigint {
  return truncate(a).m;
}

export function decFromInt(n: number): Dec {
  return new Dec(BigInt(n), 0);
}
