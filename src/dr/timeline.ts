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

  async step<T>(label: string, work: () => Promise<T>): Promise<T> {
    this.progress?.(label);
    const start = performance.now();
    try {
      const result = await work();
      this.#record(label, start);
      return result;
    } catch (error) {
      this.#record(label, start, error instanceof Error ? error.message.split('\n')[0] : String(error));
      throw error;
    }
  }

  /** A step that may fail without ending the operation: `work` returns true, or why it failed. */
  async attempt(label: string, work: () => Promise<true | string>): Promise<true | string> {
    const outcome = await this.step(label, work);
    if (outcome !== true) {
      const last = this.steps.pop()!;
      this.steps.push({ ...last, failed: outcome });
    }
    return outcome;
  }

  #record(step: string, start: number, failed?: string): void {
    this.steps.push({ step, startedAtMs: Math.round(start - this.#started), tookMs: Math.round(performance.now() - start), ...(failed === undefined ? {} : { failed }) });
  }
}
