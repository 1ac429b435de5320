import { EngineFailure, HostGone } from '../engine/host-errors.js';

/** Attempts at loading a release that failed for a reason of the moment, before it counts as refused. */
const MAX_ATTEMPTS = 5;
const FIRST_RETRY_MS = 1_000;

interface Failure {
  readonly message: string;
  readonly attempts: number;
  /** When to load it again; undefined once it is refused for good. */
  readonly retryAt: number | undefined;
}

/**
 * Releases this node could not load. An engine that refuses a graph refuses it every time: such a
 * release stays failed and its environments keep what they served. An engine host that went away
 * while loading (stopped for another decision's runaway, or killed from outside) says nothing about
 * the release: it is loaded again after 1, 2, 4, 8 s, so one unlucky moment does not leave an
 * environment unserved on this node until it restarts.
 */
export class ReleaseFailures {
  readonly #failures = new Map<string, Failure>();
  /** id -> message, for health: what is refused, and what waits for another attempt. */
  readonly messages = new Map<string, string>();

  /** Records a failed load. */
  record(id: string, error: unknown, now = Date.now()): void {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    const attempts = (this.#failures.get(id)?.attempts ?? 0) + 1;
    const retryAt = passing(error) && attempts < MAX_ATTEMPTS ? now + FIRST_RETRY_MS * 2 ** (attempts - 1) : undefined;
    this.#failures.set(id, { message, attempts, retryAt });
    this.messages.set(id, retryAt === undefined ? message : `${message} (loading it again in ${Math.round((retryAt - now) / 1000)} s)`);
  }

  /** Whether the release is failed now (refused, or waiting for its next attempt). */
  has(id: string, now = Date.now()): boolean {
    const failure = this.#failures.get(id);
    return failure !== undefined && (failure.retryAt === undefined || now < failure.retryAt);
  }

  /** Whether a failed release will be loaded again (its failure was of the moment). */
  willRetry(id: string): boolean {
    return this.#failures.get(id)?.retryAt !== undefined;
  }

  /** Whether some release waits for another attempt that is due: the next poll reloads even without a change. */
  retryDue(now = Date.now()): boolean {
    for (const f of this.#failures.values()) if (f.retryAt !== undefined && now >= f.retryAt) return true;
    return false;
  }

  forget(id: string): void {
    this.#failures.delete(id);
    this.messages.delete(id);
  }

  /** Drops what no environment serves any more. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of this.#failures.keys()) if (!ids.has(id)) this.forget(id);
  }
}

/** A failure of the moment, not of the release: the engine did not answer about the graph at all. */
function passing(error: unknown): boolean {
  if (error instanceof EngineFailure) return false;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof HostGone) return e.stoppedFor !== 'shutdown';
    if ((e as { code?: unknown }).code === 'not-ready') return true;
  }
  return false;
}
