export interface TimelineStep {
  readonly step: string;
  /** Since the start of the operation. */
  readonly startedAtMs: number;
  readonly tookMs: number;
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
    const result = await work();
    this.steps.push({ step: label, startedAtMs: Math.round(start - this.#started), tookMs: Math.round(performance.now() - start) });
    return result;
  }
}
