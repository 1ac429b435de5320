import { setTimeout as sleep } from 'node:timers/promises';
import { call } from './http.js';

export interface LoadRegion {
  readonly name: string;
  readonly nodeUrls: readonly string[];
}

/** One evaluation request as the drill saw it (times in ms since the drill started). */
export interface EvaluationSample {
  readonly t: number;
  readonly region: string;
  /** The node's URL. */
  readonly node: string;
  readonly ok: boolean;
  /** The answer mixed two releases (see `isMixed`). */
  readonly mixed?: boolean;
  readonly ms: number;
  readonly error?: string;
}

/**
 * Evaluation traffic against every region: `concurrency` loops per region, each going round the
 * region's nodes. `isActive` decides whether a region takes traffic now (active-passive sends it
 * only to the region that holds the primary, like a front that follows the failover). A response
 * counts as good only with the expected answer.
 */
export class EvaluationLoad {
  readonly samples: EvaluationSample[] = [];
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly regions: readonly LoadRegion[],
    private readonly options: {
      readonly path: string;
      readonly token: string;
      readonly concurrency: number;
      readonly startedAt: number;
      readonly isActive: (region: string) => boolean;
      readonly isExpected: (result: unknown) => boolean;
      /** Whole answer (result and details) to whether it came from more than one release. */
      readonly isMixed?: (body: unknown) => boolean;
      /** Pause between one loop's requests (default none): leaves CPU to the servers on a small machine. */
      readonly pauseMs?: number;
      /** A request without an answer by then counts as an error (default 2000 ms). */
      readonly timeoutMs?: number;
    },
  ) {}

  start(): void {
    this.#running = true;
    for (const region of this.regions) {
      for (let i = 0; i < this.options.concurrency; i++) this.#loops.push(this.#loop(region, i));
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #loop(region: LoadRegion, offset: number): Promise<void> {
    let next = offset;
    while (this.#running) {
      if (!this.options.isActive(region.name)) {
        await sleep(20);
        continue;
      }
      const url = region.nodeUrls[next++ % region.nodeUrls.length]!;
      const t = performance.now() - this.options.startedAt;
      const outcome = await call(`${url}${this.options.path}`, {
        method: 'POST',
        headers: { 'x-access-token': this.options.token },
        body: { context: {} },
        timeoutMs: this.options.timeoutMs ?? 2000,
      });
      const result = (outcome.body as { result?: unknown } | undefined)?.result;
      const ok = outcome.ok && this.options.isExpected(result);
      const error = ok ? undefined : (outcome.error ?? (outcome.status === null ? 'no answer' : outcome.ok ? 'unexpected result' : `HTTP ${outcome.status}${problemDetail(outcome.body)}`));
      const mixed = outcome.ok && (this.options.isMixed?.(outcome.body) ?? false);
      this.samples.push({ t, region: region.name, node: url, ok, ms: outcome.ms, ...(error ? { error } : {}), ...(mixed ? { mixed } : {}) });
      // A refused connection fails at once: do not spin on a dead node.
      if (!ok || this.options.pauseMs) await sleep(ok ? this.options.pauseMs! : Math.max(10, this.options.pauseMs ?? 0));
    }
  }
}

/** ": <detail>" of a problem document, so a report says which 503 it was. */
function problemDetail(body: unknown): string {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  return typeof detail === 'string' ? `: ${detail.slice(0, 120)}` : '';
}
