import { notSure } from '../errors.js';
import { Dec, MAX_MANTISSA, MAX_SCALE, TEN, ZERO, abs, pow10 } from './core.js';

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

