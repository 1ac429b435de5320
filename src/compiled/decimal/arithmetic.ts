import { EnginePanic, notSure } from '../errors.js';
import { divide } from './division.js';
import { Dec, MAX_MANTISSA, MAX_SCALE, ONE, ZERO, abs, aligned, compare, fit, integerValue } from './core.js';

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

