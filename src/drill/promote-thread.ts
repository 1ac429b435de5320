import { Worker } from 'node:worker_threads';
import type { PromoteOptions, PromoteReport } from '../dr/promote.js';
import { LabError } from '../lab/state.js';

/** The compiled worker (dist/), also when this module runs from src/ under the test runner. */
const PROMOTE_WORKER = new URL('../../dist/drill/promote-worker.js', import.meta.url);

export interface ReadyPromotion {
  /** Promotes now; resolves with the report. */
  readonly go: () => Promise<PromoteReport>;
  readonly cancel: () => Promise<void>;
}

/** Starts the promotion thread and waits until it has loaded its modules. */
export async function promotionThread(dir: string, options: Omit<PromoteOptions, 'progress'>): Promise<ReadyPromotion> {
  const worker = new Worker(PROMOTE_WORKER, { workerData: { dir, options } });
  // Whatever ends the thread early (an error, or an exit without one) fails whoever waits on it.
  const ended = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new LabError(`the promotion thread exited (code ${code}) before it reported`)));
  });
  ended.catch(() => undefined);
  const messages: ((message: unknown) => void)[] = [];
  worker.on('message', (message: unknown) => messages.shift()?.(message));
  const next = () => Promise.race([new Promise<unknown>((resolve) => messages.push(resolve)), ended]);
  const cancel = async () => void (await worker.terminate());
  try {
    await next(); // ready
  } catch (error) {
    await cancel();
    throw error;
  }
  return {
    cancel,
    go: async () => {
      const result = next();
      worker.postMessage('go');
      const message = (await result.finally(cancel)) as { ok: true; report: PromoteReport } | { ok: false; message: string };
      if (!message.ok) throw new LabError(message.message);
      return message.report;
    },
  };
}
