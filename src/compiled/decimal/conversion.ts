import { EnginePanic, EngineWouldCrash, notSure } from '../errors.js';
import { Dec, MAX_MANTISSA, MAX_SCALE, TEN, abs, lazyDecOfNumber, pow10 } from './core.js';

/** Numbers in and out of the engine: context numbers, number text, display, result numbers. */

/**
 * A context number as zen-engine receives it through napi: integers that fit i32 or u32 as
 * integers; every other number as an f64 that serde_json writes with ryu (the shortest digits,
 * `N.0` for other integers below 1e16, exponent notation from 1e16) and rust_decimal parses
 * back: so 4294967296 arrives as 4294967296.0 and shows as such in `string()`. A number it
 * cannot hold (scale above 28, beyond 96 bits) makes the engine panic.
 */
export function decFromJsNumber(x: number): Dec {
  const lazy = lazyDecOfNumber(x);
  if (lazy) return lazy;
  if (Number.isInteger(x) && x >= -2147483648 && x <= 4294967295) return new Dec(BigInt(x), 0);
  if (!Number.isFinite(x)) throw new EnginePanic('a context number that is not finite');
  // Fast paths, the same digits without a regular expression: String(x) and toExponential both
  // give the shortest round-trip digits, and String(x) is plain (no exponent) from 1e-6 to 1e21.
  if (Number.isInteger(x)) {
    if (Math.abs(x) < 1e16) return new Dec(BigInt(x) * TEN, 1);
  } else {
    const text = String(x);
    const dot = text.indexOf('.');
    if (dot > 0 && !text.includes('e')) return new Dec(BigInt(text.slice(0, dot) + text.slice(dot + 1)), text.length - dot - 1);
  }
  const parsed = parseScientificOrPlain(x.toExponential());
  if (!parsed) throw new EnginePanic(`the engine cannot hold the context number ${x}`);
  return parsed;
}

/**
 * The same value with `num` attached when a double's shortest digits are exactly it, so literals
 * such as `50` or `0.25` compare with context numbers without BigInt.
 */
export function withNumber(d: Dec): Dec {
  if (d.num === d.num || d.negZero || d.unsureDisplay) return d;
  const x = Number(formatDecimal(d));
  const lazy = lazyDecOfNumber(x);
  if (!lazy || lazy.m * pow10(d.s) !== d.m * pow10(lazy.s)) return d;
  return new Dec(d.m, d.s, false, false, x);
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
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const POW10_DOUBLE = Array.from({ length: 23 }, (_, i) => 10 ** i);
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
/** 2^63 as a double: at and past it a number is no i64. */
const I64_LIMIT_DOUBLE = 2 ** 63;

/**
 * The JS value zen-engine's Node binding hands back: `normalize().to_string()` parsed as i64,
 * u64 or f64. An integer past i64 but within u64 comes back as its digits (a string: a JS number
 * cannot hold it exactly). An integer outside both i64 and u64 has no conversion there: napi
 * unwraps None and the process aborts.
 */
export function decToJsNumber(d: Dec): number | string {
  // `num` round-trips: its shortest digits are the value, which is what normalize() prints.
  const num = d.num;
  if (num === num && num < I64_LIMIT_DOUBLE && num >= -I64_LIMIT_DOUBLE) return num === 0 ? 0 : num;
  if (d.m === 0n) return 0;
  // Both exact doubles, so the quotient is the correctly rounded value: the double that parsing
  // the normalized text gives.
  if (d.s <= 22 && d.m <= SAFE && d.m >= -SAFE) return Number(d.m) / POW10_DOUBLE[d.s]!;
  let { m, s } = d;
  while (s > 0 && m % TEN === 0n) {
    m /= TEN;
    s--;
  }
  if (s === 0) {
    if (m >= U64_LIMIT || m < I64_MIN) throw new EngineWouldCrash('an integer result beyond 64 bits');
    return m > I64_MAX ? m.toString() : Number(m);
  }
  return Number(formatDecimal(new Dec(m, s)));
}

