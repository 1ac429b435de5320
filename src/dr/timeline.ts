export interface TimelineStep {
  readonly step: string;
  /** Since the start of the operation. */
  readonly startedAtMs: number;
  readonly tookMs: number;
  /** Set when the step did not succeed (the operation went on another way, or stopped). */
  readonly failed?: string;
}

/** Runs the steps of a DR operation in order, timing each one, for the report it prints. */
export class Timeline {
  readonly steps: TimelineStep[] = [];
  readonly #started = performance.now();

  constructor(private readonly progress?: (step: string) => void) {}

  get elapsedMs(): number {
    return Math.round(performance.now() - this.#started);
  }

  step<T>(label: string, work: () => Promise<T>): Promise<T> {
    return this.#timed(label, work, () => undefined);
  }

  /** A step that may fail without ending the operation: `work` returns true, or why it failed. */
  attempt(label: string, work: () => Promise<true | string>): Promise<true | string> {
    return this.#timed(label, work, (outcome) => (outcome === true ? undefined : outcome));
  }

  async #timed<T>(label: string, work: () => Promise<T>, failure: (result: T) => string | undefined): Promise<T> {
    this.progress?.(label);
    const start = performance.now();
    const record = (failed: string | undefined) =>
      this.steps.push({ step: label, startedAtMs: Math.round(start - this.#started), tookMs: Math.round(performance.now() - start), ...(failed === undefined ? {} : { failed }) });
    try {
      const result = await work();
      record(failure(result));
      return result;
    } catch (error) {
      record(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error));
      throw error;
    }
  }
}
