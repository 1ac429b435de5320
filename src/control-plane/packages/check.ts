import { existsSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { AppError, type ProblemCode } from '../../errors.js';
import { assertNever } from '../../lib/assert-never.js';
import type { JdmDocument } from '../../lib/jdm.js';
import type { PackageLimits } from './format.js';
import { MIB } from './limits.js';
import type { ParsedPackage } from './parse.js';

/** What the main thread learns first: every decision's key and canonical hash, no content. */
export type DecisionHash = { readonly key: string; readonly contentHash: string };
export type CheckedPackage = ParsedPackage<DecisionHash>;

// The protocol with check-worker.ts.
export interface CheckInput {
  readonly zip: Uint8Array;
  readonly limits: PackageLimits;
}
export interface WireError {
  readonly code?: ProblemCode;
  readonly detail: string;
  readonly extensions?: Record<string, unknown>;
}
export type FromCheck =
  | { readonly type: 'read'; readonly pkg: CheckedPackage }
  | { readonly type: 'content'; readonly key: string; readonly bytes: Uint8Array }
  | { readonly type: 'contents-done' }
  | { readonly type: 'failed'; readonly error: WireError };
export type ToCheck = { readonly type: 'contents' };

export interface CheckOptions {
  readonly limits: PackageLimits;
  readonly timeoutMs: number;
}

/** The compiled worker (dist/), also when this module runs from src/ under the test runner. */
const CHECK_WORKER = new URL('../../../dist/control-plane/packages/check-worker.js', import.meta.url);

/**
 * The worker's heap limit, from what was measured: parsed JSON holds about twice its text (3x
 * leaves room for the canonical form being hashed), and validating one decision table transiently
 * held up to ~35x its size. 512 MiB with the default limits. A package that needs more is refused
 * (413) instead of growing the server.
 */
export function checkHeapMb(limits: PackageLimits): number {
  const mb = 3 * (limits.maxTotalBytes / MIB) + 40 * (limits.maxEntryBytes / MIB);
  return Math.min(4096, Math.max(256, Math.ceil(mb)));
}

/**
 * A package being checked on its own thread (check-worker.ts): `start` resolves once it is read
 * and hashed, `contents` validates the graphs there and brings their content over, `close` ends
 * the thread. The whole check has one time limit; past it the thread is terminated and the
 * package refused.
 */
export class PackageCheck {
  readonly #worker: Worker;
  readonly #queue: FromCheck[] = [];
  #wake: (() => void) | undefined;
  #ended: Error | undefined;
  readonly #timer: NodeJS.Timeout;

  private constructor(zip: Buffer, options: CheckOptions) {
    // Say what is wrong with a checkout whose build is missing, rather than a module-not-found 500.
    if (!existsSync(CHECK_WORKER)) throw new Error(`${fileURLToPath(CHECK_WORKER)} is missing: build the project (npm run build)`);
    const heapMb = checkHeapMb(options.limits);
    // A copy of exactly the package's bytes (a request body may be a view into a larger buffer), moved, not cloned again.
    const input: CheckInput = { zip: new Uint8Array(zip), limits: options.limits };
    this.#worker = new Worker(CHECK_WORKER, {
      workerData: input,
      transferList: [input.zip.buffer as ArrayBuffer],
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    this.#worker.on('message', (message: FromCheck) => {
      this.#queue.push(message);
      this.#wake?.();
    });
    this.#worker.once('error', (error: Error & { code?: string }) => {
      this.#end(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new AppError('payload-too-large', `checking the package needed more than the ${heapMb} MiB of memory allowed for it; it is refused`, { heapMb })
          : error,
      );
    });
    this.#worker.once('exit', (code) => this.#end(new Error(`the package check thread stopped (exit code ${code}) before it answered`)));
    this.#timer = setTimeout(() => {
      this.#end(
        new AppError(
          'invalid-package',
          `checking the package took longer than ${options.timeoutMs / 1000} s (VERDICT_PACKAGE_CHECK_TIMEOUT_MS); it was stopped and the package refused`,
          { timeoutMs: options.timeoutMs },
        ),
      );
      void this.#worker.terminate();
    }, options.timeoutMs);
  }

  /** Reads, verifies and hashes the package on a new thread. */
  static async start(zip: Buffer, options: CheckOptions): Promise<{ check: PackageCheck; pkg: CheckedPackage }> {
    const check = new PackageCheck(zip, options);
    try {
      const message = await check.#next();
      if (message.type !== 'read') throw new Error(`the package check thread answered '${message.type}' first`);
      const pkg = message.pkg;
      // Buffers arrive as plain Uint8Arrays.
      return { check, pkg: pkg.kind === 'verdict' ? { ...pkg, manifestBytes: Buffer.from(pkg.manifestBytes) } : pkg };
    } catch (error) {
      await check.close();
      throw error;
    }
  }

  /**
   * Validates every graph on the check thread (422 like a save would answer), then receives the
   * content, one decision per turn of the event loop so that evaluations keep being served.
   */
  async contents(): Promise<Map<string, JdmDocument>> {
    this.#worker.postMessage({ type: 'contents' } satisfies ToCheck);
    const contents = new Map<string, JdmDocument>();
    for (;;) {
      const message = await this.#next();
      switch (message.type) {
        case 'contents-done':
          return contents;
        case 'content':
          await yieldToLoop();
          contents.set(message.key, deserialize(message.bytes) as JdmDocument);
          break;
        case 'read':
        case 'failed':
          throw new Error(`unexpected '${message.type}' from the package check thread`);
        default:
          return assertNever(message, 'message from the package check thread');
      }
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#end(new Error('the package check is closed'));
    await this.#worker.terminate();
  }

  /** The first reason the check ended wins: a timeout stays a timeout when the exit event follows. */
  #end(reason: Error): void {
    this.#ended ??= reason;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #next(): Promise<FromCheck> {
    for (;;) {
      const message = this.#queue.shift();
      if (message?.type === 'failed') {
        const { code, detail, extensions } = message.error;
        throw code ? new AppError(code, detail, extensions) : new Error(`the package check failed: ${detail}`);
      }
      if (message) return message;
      if (this.#ended) throw this.#ended;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
