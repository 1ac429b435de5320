import { parentPort, workerData } from 'node:worker_threads';
import type { PromoteOptions } from '../dr/promote.js';
import { promoteRegion } from './lab-dr.js';

/**
 * `dr promote` on its own thread: the drill's load generators share the main event loop, and a
 * promotion queued behind them would measure the drill, not the failover. The thread starts (and
 * loads its modules) before the kill and promotes when told to, as an operator's ready shell would.
 */
const { dir, options } = workerData as { dir: string; options: Omit<PromoteOptions, 'progress'> };
parentPort!.once('message', () => {
  promoteRegion(dir, options).then(
    (report) => parentPort!.postMessage({ ok: true, report }),
    (error: unknown) => parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
parentPort!.postMessage({ ready: true });
