import type { Logger } from 'pino';
import { AppError } from '../errors.js';

/**
 * Fencing by cluster generation. Every promotion bumps the generation (`cluster_state`), so the
 * highest one seen names the current primary, and a writable server holding an older one is an
 * old primary that came back: writing to it would be discarded when it is rejoined.
 */

export interface FencedHost {
  readonly host: string;
  readonly generation: number;
  readonly at: string;
}

export class FencedError extends AppError {
  constructor(host: string, generation: number, highest: number) {
    super(
      'database-unavailable',
      `refusing to write to ${host}: its cluster generation ${generation} is older than ${highest}, seen on another server (an old primary that came back?)`,
      { fenced: host, generation, highestGeneration: highest },
    );
  }
}

/**
 * Whether a server may be the primary: its generation is the highest seen. A server without one
 * counts only while none has been seen (before the migration that creates the table); once one
 * has, a server without it is not part of this cluster.
 */
export function isCurrentGeneration(generation: number | null, highest: number): boolean {
  return generation === null ? highest === 0 : generation >= highest;
}

/** The highest of what was seen before and the generations now reported (nulls ignored). */
export function highestGeneration(previous: number, generations: readonly (number | null)[]): number {
  return generations.reduce<number>((highest, g) => (g !== null && g > highest ? g : highest), previous);
}

/** The highest generation this node has seen, and the writable servers it refused because of it. */
export class GenerationFence {
  #highest = 0;
  readonly #fenced = new Map<string, FencedHost>();

  constructor(private readonly logger: Logger | undefined) {}

  get highest(): number {
    return this.#highest;
  }

  get fenced(): FencedHost[] {
    return [...this.#fenced.values()];
  }

  /** Generations only go up: a report of an older one (a lagging replica) changes nothing. */
  observe(generation: number | null): void {
    this.#highest = highestGeneration(this.#highest, [generation]);
  }

  isCurrent(generation: number | null): boolean {
    return isCurrentGeneration(generation, this.#highest);
  }

  fence(host: string, generation: number): void {
    if (!this.#fenced.has(host)) {
      this.logger?.error({ host, generation, highestGeneration: this.#highest }, 'fenced a writable database with an old cluster generation');
    }
    this.#fenced.set(host, { host, generation, at: new Date().toISOString() });
  }
}
