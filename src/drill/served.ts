import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../lab/state.js';
import { call } from './http.js';

/** Polls every node's evaluation until all give `expected` (as the result's `field`). */
export async function servedEverywhere(urls: readonly string[], evalPath: string, token: string, expected: string, timeoutMs: number, field = 'v'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const pending = new Set(urls);
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async (url) => {
        const outcome = await call(`${url}${evalPath}`, { method: 'POST', headers: { 'x-access-token': token }, body: { context: {} } });
        if ((outcome.body as { result?: Record<string, unknown> } | undefined)?.result?.[field] === expected) pending.delete(url);
      }),
    );
    if (pending.size === 0) return;
    if (performance.now() > deadline) throw new LabError(`after ${timeoutMs} ms these nodes do not serve '${expected}' yet: ${[...pending].join(', ')}`);
    await sleep(10);
  }
}

/**
 * Resolves once a write was acknowledged and an evaluation answered well after `killAtMs`, or
 * after `timeoutMs` (the report then shows what did not recover).
 */
export async function waitForRecovery(
  observed: () => { writes: readonly { readonly startedAt: number; readonly ackAt: number | null }[]; samples: readonly { readonly t: number; readonly ok: boolean }[] },
  killAtMs: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { writes, samples } = observed();
    const wrote = writes.some((w) => w.startedAt > killAtMs && w.ackAt !== null);
    const evaluated = samples.some((s) => s.t > killAtMs && s.ok);
    if (wrote && evaluated) return;
    await sleep(50);
  }
}
