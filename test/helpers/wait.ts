import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `check` returns a truthy value; fails with `what` after the timeout. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await sleep(20);
  }
}

/**
 * Sends a request again while the server answers 503 "busy, retry" (`not-ready`), as its clients
 * are told to: on a loaded machine the engine's isolated lane, at lower CPU priority, may get too
 * little CPU to finish a test run or a simulation by its deadline. Any other answer is returned.
 */
export async function unlessBusy<T extends { status: number; body: any }>(send: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  return waitFor('an answer other than 503 busy', async () => {
    const res = await send();
    return res.status === 503 && res.body?.code === 'not-ready' ? undefined : res;
  }, timeoutMs);
}
