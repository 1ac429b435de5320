import { notSure } from '../errors.js';
import { Dec, MAX_MANTISSA, MAX_SCALE, abs, pow10 } from './core.js';

/** Cutting and rounding to a number of decimal places, rust_decimal's way. */

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
  // The sign stays on a zero result: trunc(-0.07) and floor(-trunc(0, 2)) show as "-0". A zero
  // whose sign we do not know stays unknown.
  return new Dec(m, dp, m === 0n && (a.m < 0n || a.negZero), m === 0n && a.unsureDisplay);
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
  return new Dec(negative ? -q : q, dp, false, (q === 0n && (negative || a.negZero)) || a.unsureDisplay);
}

/** rust_decimal `to_usize` / `to_i64` / `to_u32`: the integer part, or undefined. */
export function toInteger(a: Dec): bigint {
  return truncate(a).m;
}
