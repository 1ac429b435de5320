import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from './http.js';

export type WriteKind = 'deploy' | 'save' | 'release';

/** One control-plane write and what became of it, from the client's side. */
export interface WriteRecord {
  /** Idempotency-Key and X-Request-Id of every attempt. */
  readonly id: string;
  readonly kind: WriteKind;
  /** deploy: the release deployed; release: the label created; save: the decision saved. */
  readonly release: string;
  readonly startedAt: number;
  /** When an answer with 2xx arrived; null when every attempt failed (unknown outcome). */
  ackAt: number | null;
  attempts: number;
  deploymentId: string | null;
  unchanged: boolean | null;
  lastError: string | null;
  /** Status of the last answer: a 4xx is a definite refusal, no answer or a 5xx an unknown outcome. */
  lastStatus: number | null;
}

/** What one write sends; `id` goes along as Idempotency-Key and X-Request-Id. */
export interface PlannedWrite {
  readonly kind: WriteKind;
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly release: string;
}

/**
 * A stream of acknowledged control-plane writes, each with a unique id sent as Idempotency-Key and
 * X-Request-Id: by default deploys that alternate between two releases, or what `plan` makes. A
 * write that gets no answer is retried with the same id against the next node (any region: nodes
 * send writes to the primary wherever it is) until `giveUpMs`; the log says which writes were
 * acknowledged and when.
 */
export class WriteStream {
  readonly log: WriteRecord[] = [];
  /** The node the current attempt went to, while it waits for the answer. */
  inFlight: string | undefined;
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
      /** Makes the next write (default: a deploy of the release not deployed last). */
      readonly plan?: (id: string) => PlannedWrite;
      /** Ids: `<idPrefix><n>-<random>` (default: random UUIDs). */
      readonly idPrefix?: string;
      /** Start each write at the next node, so every node forwards writes (default: stay on one until it fails). */
      readonly rotate?: boolean;
      /** One attempt's timeout (default 5000 ms); longer than a node's own write budget lets the node answer first. */
      readonly attemptTimeoutMs?: number;
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
    const deploy = (): PlannedWrite => {
      const release = current === this.options.releases[0] ? this.options.releases[1] : this.options.releases[0];
      return { kind: 'deploy', method: 'POST', path: this.options.path, body: { release }, release };
    };
    while (this.#running) {
      const began = performance.now();
      const id = this.options.idPrefix === undefined ? randomUUID() : `${this.options.idPrefix}${this.log.length + 1}-${randomUUID().slice(0, 8)}`;
      const write = this.options.plan?.(id) ?? deploy();
      const record: WriteRecord = {
        id,
        kind: write.kind,
        release: write.release,
        startedAt: began - this.options.startedAt,
        ackAt: null,
        attempts: 0,
        deploymentId: null,
        unchanged: null,
        lastError: null,
        lastStatus: null,
      };
      this.log.push(record);
      const giveUpAt = began + (this.options.giveUpMs ?? 30_000);
      while (performance.now() < giveUpAt) {
        const urls = this.nodeUrls();
        const url = urls[node % urls.length]!;
        record.attempts++;
        this.inFlight = url;
        const outcome = await call(`${url}${write.path}`, {
          method: write.method,
          headers: { authorization: `Bearer ${this.options.adminToken}`, 'idempotency-key': record.id, 'x-request-id': record.id },
          body: write.body,
          timeoutMs: this.options.attemptTimeoutMs ?? 5000,
        });
        this.inFlight = undefined;
        record.lastStatus = outcome.status;
        if (outcome.ok) {
          record.ackAt = performance.now() - this.options.startedAt;
          if (write.kind === 'deploy') {
            const body = outcome.body as { id: string | number; unchanged: boolean; release: { label: string } };
            record.deploymentId = String(body.id);
            record.unchanged = body.unchanged;
            current = body.release.label;
          }
          break;
        }
        record.lastError = outcome.error ?? `HTTP ${outcome.status}`;
        // A 4xx other than a conflict is a bug in the drill, not an outage: stop retrying it.
        if (outcome.status !== null && outcome.status < 500 && outcome.status !== 409) break;
        node++; // try another node: this one or its region may be gone
        await sleep(100);
      }
      if (this.options.rotate) node++;
      const spare = interval - (performance.now() - began);
      if (spare > 0) await sleep(spare);
    }
  }
}
