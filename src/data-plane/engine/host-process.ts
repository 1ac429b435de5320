import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Logger } from 'pino';
import type { JdmDocument } from '../../lib/jdm.js';
import type { FromHost, HostOptions, HttpCalls, ToHost } from './protocol.js';
import { PROGRESS_FD } from './protocol.js';
import { pinnedCommand, repin } from './cpu-pinning.js';
import { CpuSamples } from './cpu-samples.js';
import { EngineFailure, HostGone, type StopReason } from './host-errors.js';
import { hostEntry } from './host-entry.js';

export type Lane = 'serving' | 'isolated';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface HostHooks {
  onHttp(calls: HttpCalls): void;
  onExit(host: EngineHostProcess, gone: HostGone): void;
  /** The host can take requests now (started, and holding what it must). */
  onWarm?(host: EngineHostProcess): void;
  /** The host answered request `id`, also one whose caller gave up on it. */
  onAnswer?(host: EngineHostProcess, id: number): void;
}

const MAX_STDERR_LINE = 2_000;

let nextHostNumber = 1;
/**
 * One engine host process, seen from the node: a message channel with coalesced writes, pending
 * requests by id, the namespaces (releases) it has loaded, and a way to stop it at once.
 */
export class EngineHostProcess {
  readonly name: string;
  readonly ready: Promise<void>;
  readonly startedAt = Date.now();
  /** Index of the expression a synchronous check is on (see the host's progress pipe). */
  progress = -1;
  progressAt = 0;
  #child: ChildProcess;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #outbox: ToHost[] = [];
  #flushQueued = false;
  #loaded = new Map<string, Promise<void>>();
  /** Loads sent and not yet answered: while one runs, what waits behind it is not held by a runaway. */
  #loads = 0;
  #gone: HostGone | undefined;
  #stopping: StopReason | undefined;
  #isReady = false;
  #warm = true;
  readonly #cpu = new CpuSamples();

  /** The CPU this host is pinned to (undefined: not pinned). */
  cpu: number | undefined;

  constructor(
    readonly lane: Lane,
    /** The CPU this host is pinned to (undefined: not pinned). */
    cpu: number | undefined,
    options: HostOptions,
    private readonly hooks: HostHooks,
    private readonly logger: Logger,
  ) {
    this.name = `${lane}-${nextHostNumber++}`;
    this.cpu = cpu;
    const { entry, execArgv } = hostEntry();
    const node = [...execArgv, entry, JSON.stringify(options)];
    const { command, args } = pinnedCommand(cpu, process.execPath, node);
    // spawn rather than fork, so taskset can run first; the IPC channel is inherited through exec.
    this.#child = spawn(command, args, { serialization: 'json', stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'] });
    let markReady!: () => void;
    let failReady!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.ready.catch(() => undefined); // a host that dies while starting is reported through onExit
    // The isolated lane runs what already proved slow: it yields the CPU to the serving lane.
    if (lane === 'isolated' && this.#child.pid !== undefined) {
      try {
        setPriority(this.#child.pid, 10);
      } catch {
        // not permitted here: the lane still has its own process
      }
    }
    this.#child.on('message', (batch: FromHost[]) => {
      this.lastReplyAt = Date.now();
      for (const msg of batch) {
        if (msg.t === 'ready') {
          this.#isReady = true;
          markReady();
          this.#flush(); // what was sent while the host started
          continue;
        }
        if (msg.http) this.hooks.onHttp(msg.http);
        if (msg.id !== 0) this.hooks.onAnswer?.(this, msg.id);
        const pending = this.#pending.get(msg.id);
        if (!pending) continue;
        this.#pending.delete(msg.id);
        if (msg.t === 'ok') pending.resolve(msg.value);
        else pending.reject(new EngineFailure(msg.error));
      }
    });
    this.#child.stderr?.setEncoding('utf8');
    let partial = '';
    this.#child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!.slice(0, MAX_STDERR_LINE);
      // zen prints panics and their stack backtraces here; one line each is enough to diagnose.
      for (const line of lines) if (line.trim() && !/^\s+\d+: |^Stack backtrace|^\s+at /.test(line)) this.logger.warn({ host: this.name, line: line.slice(0, MAX_STDERR_LINE) }, 'engine host stderr');
    });
    const progress = this.#child.stdio[PROGRESS_FD] as NodeJS.ReadableStream | null | undefined;
    progress?.setEncoding('utf8');
    let partialProgress = '';
    progress?.on('data', (chunk: string) => {
      const lines = (partialProgress + chunk).split('\n');
      partialProgress = lines.pop()!;
      const last = lines[lines.length - 1];
      if (last !== undefined) {
        this.progress = Number(last);
        this.progressAt = Date.now();
      }
    });
    const onGone = (exit: string) => {
      if (this.#gone) return;
      const gone = new HostGone(this.#stopping, exit);
      this.#gone = gone;
      this.#isReady = false;
      failReady(gone);
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) p.reject(gone);
      this.hooks.onExit(this, gone);
    };
    this.#child.on('exit', (code, signal) => onGone(signal ? `signal ${signal}` : `exit code ${code}`));
    this.#child.on('error', (error) => {
      onGone(`cannot run: ${error.message}`);
      this.#child.kill('SIGKILL');
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get isReady(): boolean {
    return this.#isReady && this.#warm && !this.#gone;
  }

  /**
   * A host is handed requests only once `loads` (the releases it must hold) have settled: a fresh
   * host that still parses a large release would make the first requests wait behind it.
   */
  warmUp(loads: readonly Promise<unknown>[]): void {
    this.#warm = false;
    void Promise.allSettled(loads).then(() => {
      this.#warm = true;
      this.hooks.onWarm?.(this);
    });
  }

  get gone(): boolean {
    return this.#gone !== undefined;
  }

  get inflight(): number {
    return this.#pending.size;
  }

  /** When the host last answered: work it runs one item at a time began no earlier than this. */
  lastReplyAt = 0;

  /** Sends a request; the promise settles with the host's answer or rejects with HostGone/EngineFailure. */
  request<T>(message: DistributiveOmit<Extract<ToHost, { id: number }>, 'id'>, handle?: { id: number }): Promise<T> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    if (handle) handle.id = id;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#send({ ...message, id } as ToHost);
    });
  }

  /** Gives up on a request: the caller gets `error` now; the host's answer, if it comes, is dropped. */
  abandon(id: number, error: Error): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.reject(error);
  }

  /** Samples the process's CPU time (see CpuSamples). */
  sampleCpu(now: number): void {
    this.#cpu.sample(this.#child.pid, now);
  }

  /** CPU time (ms) the host used since about `from`; undefined where unknown. */
  cpuSince(from: number): number | undefined {
    return this.#cpu.since(from);
  }

  /**
   * Makes sure `ns` is loaded here before anything sent after this call runs (messages arrive in
   * order); the promise says whether the engine accepted it.
   */
  ensureLoaded(ns: string, decisions: () => readonly { key: string; content: JdmDocument }[]): Promise<void> {
    let loaded = this.#loaded.get(ns);
    if (!loaded) {
      loaded = this.request<void>({ t: 'load', ns, decisions: decisions() });
      this.#loads++;
      loaded.then(
        () => this.#loads--,
        () => {
          this.#loads--;
          this.#loaded.delete(ns);
        },
      );
      this.#loaded.set(ns, loaded);
    }
    return loaded;
  }

  /** Whether the host is parsing a release: requests sent after it wait for that, not for each other. */
  get loading(): boolean {
    return this.#loads > 0;
  }

  hasLoaded(ns: string): boolean {
    return this.#loaded.has(ns);
  }

  unload(ns: string): void {
    if (!this.#loaded.delete(ns) || this.#gone) return;
    this.#send({ t: 'unload', ns });
  }

  /** Moves the host to another CPU (a spare taking a stopped host's place). */
  moveTo(cpu: number | undefined): void {
    if (cpu === undefined || cpu === this.cpu || this.#child.pid === undefined) return;
    this.cpu = cpu;
    repin(this.#child.pid, cpu, (error) => this.logger.warn({ host: this.name, err: error }, 'cannot move an engine host to another CPU'));
  }

  /** Stops the process at once (SIGKILL: a host busy in native code would not see anything gentler). */
  stop(reason: StopReason): void {
    if (this.#gone) return;
    this.#stopping ??= reason;
    this.#child.kill('SIGKILL');
  }

  /** Resolves once the process has exited. */
  exited(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  #send(message: ToHost): void {
    this.#outbox.push(message);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // After the event loop's I/O phase: every request parsed in it goes in one write.
    setImmediate(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  /** Messages reaching a host before it listens would be dropped: nothing is written until it said ready. */
  #flush(): void {
    if (!this.#isReady || this.#outbox.length === 0) return;
    const batch = this.#outbox;
    this.#outbox = [];
    if (this.#gone || !this.#child.connected) return;
    if (this.#write(batch)) return;
    // Serialising failed (a value JSON cannot carry, one nested too deep for the serialiser):
    // one message must not sink the others sent with it, so each goes on its own.
    for (const message of batch) {
      if (this.#write([message]) || !('id' in message)) continue;
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      pending?.reject(new EngineFailure('the request cannot be handed to the engine (it cannot be serialised)'));
    }
  }

  /** False when the batch cannot be serialised; a closed channel shows up as the host's exit. */
  #write(batch: ToHost[]): boolean {
    try {
      this.#child.send(batch, (error) => {
        if (error) this.logger.debug({ host: this.name, err: error }, 'engine host channel closed while sending');
      });
      return true;
    } catch (error) {
      if (!this.#child.connected) return true;
      this.logger.warn({ host: this.name, err: error }, 'cannot send a message to an engine host');
      return false;
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
