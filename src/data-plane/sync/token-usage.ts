import type { Logger } from 'pino';

/** Where token last-used times go (the control plane's evaluation tokens). */
export interface TokenUsageSink {
  touch(hashes: readonly string[], at: Date): Promise<void>;
}

export interface TokenUsageStatus {
  /** Token hashes waiting for the next flush. */
  readonly pending: number;
  /** Uses not recorded because the buffer was full (the sink stayed unreachable for long). */
  readonly dropped: number;
  /** Flushes that failed; their hashes were kept for the next one. */
  readonly failures: number;
  readonly lastError: string | undefined;
}

export interface TokenUsageOptions {
  readonly intervalMs?: number;
  /** Distinct token hashes kept between flushes; beyond it new uses are dropped and counted. */
  readonly maxPending?: number;
}

/**
 * Last-used tracking of evaluation tokens, off the hot path: an evaluation only adds the token's
 * hash to a bounded set; a timer writes the set through the sink now and then. Best effort: a
 * write that fails (no primary, a read-only region) is logged and counted and its hashes wait for
 * the next flush; nothing here can block or fail an evaluation.
 */
export class TokenUsageRecorder {
  readonly #pending = new Set<string>();
  readonly #intervalMs: number;
  readonly #maxPending: number;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #dropped = 0;
  #failures = 0;
  #failing = false;
  #lastError: string | undefined;

  constructor(
    private readonly sink: TokenUsageSink,
    private readonly logger: Logger,
    options: TokenUsageOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#maxPending = options.maxPending ?? 10_000;
  }

  /** On the evaluation path: O(1), never throws. */
  record(hash: string): void {
    if (this.#pending.size >= this.#maxPending && !this.#pending.has(hash)) {
      this.#dropped++;
      return;
    }
    this.#pending.add(hash);
  }

  get status(): TokenUsageStatus {
    return { pending: this.#pending.size, dropped: this.#dropped, failures: this.#failures, lastError: this.#lastError };
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Writes what is pending; joins a flush already running. Never rejects. */
  flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /** Stops the timer and writes what is left, once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const hashes = [...this.#pending];
    this.#pending.clear();
    try {
      await this.sink.touch(hashes, new Date());
      if (this.#failing) this.logger.info('token last-used times recorded again');
      this.#failing = false;
      this.#lastError = undefined;
    } catch (error) {
      this.#failures++;
      this.#lastError = error instanceof Error ? error.message : String(error);
      // Kept for the next flush, within the bound: uses made meanwhile come first.
      for (const hash of hashes) this.record(hash);
      if (!this.#failing) this.logger.warn({ err: error, tokens: hashes.length }, 'cannot record token last-used times; will retry');
      else this.logger.debug({ err: error }, 'cannot record token last-used times');
      this.#failing = true;
    }
  }
}
