import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { Sql, TransactionSql } from './connect.js';
import { FencedError, type GenerationFence } from './fencing.js';
import type { GenerationReader } from './generation.js';
import { choosePrimary, hostOf, probeHost, type HostStatus } from './primary-discovery.js';

export interface PrimaryWriterOptions {
  /** One URL per configured writer host (DATABASE_URL split). */
  readonly hosts: readonly string[];
  readonly pool: (url: string) => Sql;
  readonly probeTimeoutMs: number;
  readonly fence: GenerationFence;
  readonly generations: GenerationReader;
  readonly logger?: Logger | undefined;
}

/**
 * The pool of the current primary: found among the configured hosts by `choosePrimary` (one
 * discovery at a time), dropped as soon as it fails or turns out fenced so that the next write
 * looks again rather than reuse a pool that reconnects with a growing backoff.
 */
export class PrimaryWriter {
  readonly #options: PrimaryWriterOptions;
  #pool: Sql | undefined;
  #host: string | undefined;
  #generation: number | null = null;
  #discovering: Promise<Sql> | undefined;
  #splitBrain: string | undefined;
  #lastDiscoveryError: string | undefined;
  #lastDiscoveryLogAt = 0;
  /** Set when a pool was dropped and no primary has been found since. */
  #lost = false;

  constructor(options: PrimaryWriterOptions) {
    this.#options = options;
    if (options.hosts.length === 1) {
      // One host: nothing to discover, connect lazily like any pool.
      this.#pool = options.pool(options.hosts[0]!);
      this.#host = hostOf(options.hosts[0]!);
    }
  }

  get pool(): Sql | undefined {
    return this.#pool;
  }

  get host(): string | undefined {
    return this.#host;
  }

  get generation(): number | null {
    return this.#generation;
  }

  /** Set while two writable servers hold the same, highest generation. */
  get splitBrain(): string | undefined {
    return this.#splitBrain;
  }

  /** The pool, or the 503 a caller should answer when no primary is known. */
  require(): Sql {
    if (this.#pool) return this.#pool;
    throw new AppError(
      'database-unavailable',
      this.#lastDiscoveryError
        ? `no primary database reachable now (${this.#lastDiscoveryError}); retry shortly`
        : this.#lost
          ? 'the primary database stopped answering; looking for it again; retry shortly'
          : 'no primary database found yet; retry shortly',
    );
  }

  /** Each host asked on a connection of its own; `timeoutMs` (default: the database timeout) bounds each. */
  probeHosts(timeoutMs = this.#options.probeTimeoutMs): Promise<HostStatus[]> {
    return Promise.all(this.#options.hosts.map((url) => probeHost(url, timeoutMs)));
  }

  /** With one host, learns its generation once (there is no discovery to do it). */
  async observeOwnGeneration(): Promise<void> {
    const generation = await this.#options.generations.read(this.require());
    if (generation !== null) {
      this.#options.fence.observe(generation);
      this.#generation = generation;
    }
  }

  /** The writable host with the highest generation becomes the writer. One discovery at a time. */
  discover(): Promise<Sql> {
    this.#discovering ??= this.#discover().finally(() => (this.#discovering = undefined));
    return this.#discovering;
  }

  async #discover(): Promise<Sql> {
    const { fence, logger } = this.#options;
    try {
      const choice = choosePrimary(await this.probeHosts(), fence.highest);
      fence.observe(choice.highest);
      for (const p of choice.fenced) fence.fence(p.host, p.generation ?? 0);
      if (choice.kind === 'split-brain') {
        this.#splitBrain = `${choice.hosts.join(' and ')} are both writable with cluster generation ${choice.highest}`;
        logger?.error({ hosts: choice.hosts, generation: choice.highest }, 'split brain: refusing to write');
        this.drop(this.#pool);
        throw new AppError('database-unavailable', `split brain: ${this.#splitBrain}; fence one of them (verdict dr promote bumps the generation)`);
      }
      this.#splitBrain = undefined;
      if (choice.kind === 'none') throw new AppError('database-unavailable', `no usable primary among the configured database hosts: ${choice.detail}`);
      const best = choice.primary;
      const url = this.#options.hosts.find((u) => hostOf(u) === best.host)!;
      if (best.host !== this.#host) {
        const previous = this.#pool;
        this.#pool = this.#options.pool(url);
        this.#host = best.host;
        logger?.info({ host: best.host, generation: best.generation }, 'writing to this primary');
        void previous?.end({ timeout: 1 }).catch(() => undefined);
      } else {
        this.#pool ??= this.#options.pool(url);
      }
      this.#generation = best.generation;
      this.#lastDiscoveryError = undefined;
      this.#lost = false;
      return this.#pool;
    } catch (error) {
      const message = (error as Error).message;
      // At most once a second, and only when the hosts say something new: during a failover this
      // shows when each host stopped and started answering as the primary, without a line per attempt.
      const now = Date.now();
      if (message !== this.#lastDiscoveryError && now - this.#lastDiscoveryLogAt >= 1000) {
        this.#lastDiscoveryLogAt = now;
        logger?.info({ detail: message }, 'no primary to write to yet');
      }
      this.#lastDiscoveryError = message;
      throw error;
    }
  }

  /**
   * Probes the hosts again after a failure outside a write: the pool moves to whichever host is
   * the primary now, and is dropped when none is usable (the next call looks again).
   */
  async rediscover(): Promise<void> {
    const before = this.#pool;
    try {
      await this.discover();
    } catch {
      this.drop(before);
    }
  }

  /** Inside every write: a server whose generation is older than one already seen is fenced. */
  async checkGeneration(tx: TransactionSql, host: string): Promise<void> {
    const { fence } = this.#options;
    const generation = await this.#options.generations.read(tx);
    if (generation === null && fence.highest === 0) return; // before the migration that creates it
    if (!fence.isCurrent(generation)) {
      // No generation at all where one was seen before is a server that is not this cluster.
      fence.fence(host, generation ?? 0);
      if (this.#host === host) this.drop(this.#pool); // the next attempt discovers the real primary
      throw new FencedError(host, generation ?? 0, fence.highest);
    }
    fence.observe(generation);
    this.#generation = generation;
  }

  /** Forgets the pool (only if it is still `stale`), closing its connections at once. */
  drop(stale: Sql | undefined): void {
    if (!stale || this.#pool !== stale) return;
    this.#pool = undefined;
    this.#host = undefined;
    this.#generation = null;
    this.#lost = true;
    void stale.end({ timeout: 0 }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#pool?.end({ timeout: 5 });
  }
}
