import type { Database } from './database.js';

/**
 * Asks every configured database host for its cluster generation, every `intervalMs`. Without it
 * a node learns of a promotion only when its writer fails, and an old primary that comes back
 * writable without ever failing (paused, or cut off and healed, after an operator confirmed it
 * lost) keeps taking this node's writes: heartbeats and, with async replication, client writes
 * that are acknowledged and then discarded when the old primary is rejoined. Once a higher
 * generation is seen, the next write fences the old primary and goes to the new one. One host:
 * nothing to compare, no watch.
 */
export class GenerationWatch {
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.db.hostCount < 2 || this.#timer) return;
    this.#timer = setInterval(() => void this.check(), this.intervalMs);
    this.#timer.unref();
  }

  /** One round (a round still running is joined: a host that drops packets takes the probe timeout). */
  check(): Promise<void> {
    this.#checking ??= this.db
      .probeHosts()
      .then((hosts) => {
        for (const host of hosts) if (host.generation !== null) this.db.observeGeneration(host.generation);
      })
      .catch(() => undefined)
      .finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking;
  }
}
