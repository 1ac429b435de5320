import { createHmac } from 'node:crypto';

/**
 * `Verdict-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The timestamp is
 * signed with the body, so a receiver that refuses old timestamps (docs/webhooks.md: 5 minutes)
 * cannot be fed a recorded delivery later. `v1` names the scheme: another can be added next to it.
 */
export function signatureHeader(secret: string, rawBody: string, at: Date = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex')}`;
}

/** The JSON body a receiver gets; built the same way on every attempt, so retries carry the same bytes. */
export function eventBody(event: { id: string; type: string; createdAt: Date; projectKey: string | null; data: unknown }): string {
  return JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), project: event.projectKey, data: event.data });
}
