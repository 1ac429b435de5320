// Verifies a Verdict webhook delivery: the recipe of docs/webhooks.md, with no dependencies.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Deliveries signed longer ago than this (or this far in the future) are refused: a recorded delivery cannot be replayed later. */
export const TOLERANCE_SECONDS = 300;

/**
 * True when `signatureHeader` (the `Verdict-Signature` header, `t=<unix seconds>,v1=<hex>`) is the
 * HMAC-SHA256, keyed with the webhook's secret, of `<t>.<raw body>`, and `t` is within the
 * tolerance of `now`. `rawBody` must be the bytes as received (a Buffer or string): parse the JSON
 * only after this returned true, since re-serialising it would change the bytes.
 */
export function verifyVerdictSignature(secret, signatureHeader, rawBody, { now = Date.now(), toleranceSeconds = TOLERANCE_SECONDS } = {}) {
  if (typeof signatureHeader !== 'string') return false;
  let timestamp;
  const signatures = [];
  for (const part of signatureHeader.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't') timestamp = Number(value);
    else if (key === 'v1' && value) signatures.push(value);
  }
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  // Constant-time comparison; several v1 values may come while a secret is being replaced.
  return signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
