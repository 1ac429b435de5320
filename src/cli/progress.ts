import type { CliIo } from './io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Step-by-step progress on stderr: an animated line with elapsed time on a terminal, nothing
 * when output is piped (pipelines read --json or the exit code instead).
 */
export class Progress {
  #timer: NodeJS.Timeout | undefined;
  #frame = 0;
  #label = '';
  #started = 0;

  /** `logSteps`: when output is piped, still print one line per step (long jobs such as the lab). */
  constructor(
    private readonly io: CliIo,
    private readonly options: { readonly logSteps?: boolean } = {},
  ) {}

  step(label: string): void {
    this.done();
    if (!this.io.isTTY) {
      if (this.options.logSteps) this.io.stderr(`- ${label}\n`);
      return;
    }
    this.#label = label;
    this.#started = Date.now();
    this.#render();
    this.#timer = setInterval(() => this.#render(), 80);
    this.#timer.unref();
  }

  /** Ends the current step, leaving its line with a check mark. */
  done(note?: string): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.io.stderr(`\r\x1b[2K✓ ${this.#label}${note ? ` ${note}` : ''} (${((Date.now() - this.#started) / 1000).toFixed(1)} s)\n`);
  }

  fail(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.io.stderr(`\r\x1b[2K✗ ${this.#label}\n`);
  }

  #render(): void {
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(1);
    this.io.stderr(`\r\x1b[2K${FRAMES[this.#frame++ % FRAMES.length]} ${this.#label} ${seconds} s`);
  }
}
