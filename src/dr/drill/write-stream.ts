import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from './http.js';

/** One control-plane write and what became of it, from the client's side. */
export interface WriteRecord {
  /** Idempotency-Key and X-Request-Id of every attempt. */
  readonly id: string;
  readonly release: string;
  readonly startedAt: number;
  /** When an answer with 2xx arrived; null when every attempt failed (unknown outcome). */
  ackAt: number | null;
  attempts: number;
  deploymentId: string | null;
  unchanged: boolean | null;
  lastError: string | null;
}

/**
 * A stream of acknowledged control-plane writes: deploys that alternate between two releases,
 * each with a unique id sent as Idempotency-Key and X-Request-Id. A write that gets no answer is
 * retried with the same id against the next node (any region: nodes send writes to the primary
 * wherever it is) until `giveUpMs`; the log says which writes were acknowledged and when.
 */
export class WriteStream {
  readonly log: WriteRecord[] = [];
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly nodeUrls: () => readonly string[],
    private readonly options: {
      readonly path: string;
      readonly adminToken: string;
      readonly releases: readonly [string, string];
      readonly perSecond: number;
      readonly startedAt: number;
      readonly giveUpMs?: number;
    },
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const interval = 1000 / this.options.perSecond;
    let node = 0;
    let current = this.options.releases[0];
    while (this.#running) {
      const began = performance.now();
      const release = current === this.options.releases[0] ? this.options.releases[1] : this.options.releases[0];
      const record: WriteRecord = {
        id: randomUUID(),
        release,
        startedAt: began - this.options.startedAt,
        ackAt: null,
        attempts: 0,
        deploymentId: null,
        unchanged: null,
        lastError: null,
      };
      this.log.push(record);
      const giveUpAt = began + (this.options.giveUpMs ?? 30_000);
      while (performance.now() < giveUpAt) {
        const urls = this.nodeUrls();
        const url = urls[node % urls.length]!;
        record.attempts++;
        const outcome = await call(`${url}${this.options.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.adminToken}`, 'idempotency-key': record.id, 'x-request-id': record.id },
          body: { release },
          timeoutMs: 5000,
        });
        if (outcome.ok) {
          const body = outcome.body as { id: string | number; unchanged: boolean; release: { label: string } };
          record.ackAt = performance.now() - this.options.startedAt;
          record.deploymentId = String(body.id);
          record.unchanged = body.unchanged;
          current = body.release.label;
          break;
        }
        record.lastError = outcome.error ?? `HTTP ${outcome.status}`;
        // A 4xx other than a conflict is a bug in the drill, not an outage: stop retrying it.
        if (outcome.status !== null && outcome.status < 500 && outcome.status !== 409) break;
        node++; // try another node: this one or its region may be gone
        await sleep(100);
      }
      const spare = interval - (performance.now() - began);
      if (spare > 0) await sleep(spare);
    }
  }
}
