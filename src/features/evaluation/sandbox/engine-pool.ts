import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../../../errors.js';
import type { JdmDocument } from '../../decisions/jdm.js';
import { FunctionGate, type FunctionGateStatus } from '../function-gate.js';
import { EngineHostProcess, HostGone, type Lane } from './host-process.js';
import type { BatchItem, CheckResult, EngineResponse, ExpressionCheck, HttpCalls } from './protocol.js';
import { Isolation, type IsolatedDecision } from './isolation.js';
import { allowedCpus, canPin } from './cpu-pinning.js';

export type { Lane } from './host-process.js';
export { EngineFailure } from './host-process.js';

export interface EnginePoolOptions {
  /** Hosts function nodes may call over HTTP. */
  readonly allowHosts: readonly string[];
  /** Engine host processes serving evaluations (the isolated lane has one more). */
  readonly hosts: number;
  /** Keep a started spare host that takes a stopped host's place at once (default true). */
  readonly spare?: boolean | undefined;
  /** Every evaluation (a whole batch, a simulation, one expression check) ends by this deadline. */
  readonly timeoutMs: number;
  /** An evaluation still running after this long moves its decision to the isolated lane. */
  readonly slowMs: number;
  /** How long a decision stays in the isolated lane after it was slow, timed out or crashed a host. */
  readonly isolationMs: number;
  /** Evaluations that may run function-node code at once (default cores - 1). */
  readonly functionConcurrency?: number | undefined;
  readonly logger: Logger;
  readonly events?: Partial<PoolEvents> | undefined;
}

export interface PoolEvents {
  http(calls: HttpCalls): void;
  restart(lane: Lane, reason: string): void;
  /** A decision hit a bound: it ran past the slow mark, past its deadline, or a host died under it. */
  limit(kind: 'slow' | 'timeout' | 'crash', label: string): void;
}

/** One evaluation target: a decision of a loaded namespace (a release, or a simulation's draft). */
export interface EvaluationTarget {
  readonly ns: string;
  readonly key: string;
  /** Names the decision in logs, health and errors: `project/environment/key@release`. */
  readonly label: string;
  /** Runs function-node code (itself or through a sub-decision): gated, and never run twice. */
  readonly runsFunctions: boolean;
}

/** A request sent to a host; a host works through its requests one at a time, in order. */
interface Sent {
  readonly target: EvaluationTarget | undefined; // undefined: an expression check or load check
  readonly host: EngineHostProcess;
  readonly handle: { id: number };
  readonly sentAt: number;
  readonly deadline: number;
  timedOut: boolean;
  /** Its host was stopped at the slow mark: it runs again in the isolated lane. */
  moved: boolean;
  /** Set when its host went away: whether it was the one the host was working on. */
  role: 'working' | 'waiting' | undefined;
  /** Its caller gave up while the host worked on it: it leaves the queue when the host answers. */
  abandoned: boolean;
}

interface Waiter {
  resolve(host: EngineHostProcess): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface LaneStatus {
  readonly hosts: number;
  readonly spareReady: boolean;
  readonly ready: number;
  /** Requests sent to the lane's hosts and not answered yet. */
  readonly queued: number;
  /** Requests waiting for room in a host's queue. */
  readonly waiting: number;
  readonly restarts: number;
  readonly lastRestart: { readonly at: string; readonly reason: string } | null;
}

export interface PoolStatus {
  readonly serving: LaneStatus;
  readonly isolated: LaneStatus;
  readonly functionGate: FunctionGateStatus;
  readonly isolatedDecisions: readonly IsolatedDecision[];
  readonly timeoutMs: number;
  /** Whether each host runs on one CPU of its own (see cpu-pinning.ts). */
  readonly pinned: boolean;
}

const RESTART_WINDOW_MS = 10_000;
const RESTARTS_BEFORE_BACKOFF = 5;
const BACKOFF_MS = 1_000;
/** A check request whose expressions keep killing hosts gives up on the rest after this many. */
const MAX_CHECK_KILLS = 3;
const MAX_WAITING = { serving: 20_000, isolated: 200 } as const;
/**
 * Requests sent to one host ahead of time. Sending a few at once lets each side coalesce its
 * writes (the hop costs far less per request); the host still works through them one at a time.
 */
const MAX_QUEUE_PER_HOST = 16;
/** A host whose current request has run this long is passed over while another has room. */
const HELD_AFTER_MS = 50;
/**
 * CPU an evaluation must have used to be called costly, not merely starved on a busy machine (or
 * cold: measured here, a decision's first evaluation in a fresh process took 43 ms of CPU, the
 * next ones 0.5 ms). A runaway evaluation given a fifth of a core passes 100 ms by the slow mark.
 */
const COSTLY_MIN_CPU_MS = 100;
const COSTLY_MIN_SHARE = 0.1;

/** The hosts of one lane; requests wait here when every host's queue is full. */
class LaneHosts {
  readonly hosts: EngineHostProcess[] = [];
  readonly waiters: Waiter[] = [];
  readonly restarts: number[] = [];
  /**
   * A started host holding every release, kept out of service: when a host is stopped it takes
   * its place at once, so requests do not wait for a process to start (the serving lane has one).
   */
  spare: EngineHostProcess | undefined;
  restartCount = 0;
  lastRestart: { at: string; reason: string } | null = null;
  respawnTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly lane: Lane,
    readonly size: number,
    /** CPU of each host slot (hosts are pinned to one CPU each where possible). */
    readonly cpus: readonly (number | undefined)[],
    private readonly queues: Map<EngineHostProcess, Sent[]>,
  ) {}

  /**
   * The ready host with the shortest queue that has room. Hosts that seem held avoid new work: one
   * with function code queued (it may wait on I/O while its host can do nothing else), and one
   * whose current request has run for a while (it may be running away, and what queues behind it
   * waits until the slow mark).
   */
  pick(): EngineHostProcess | undefined {
    let best: EngineHostProcess | undefined;
    let bestLoad = Infinity;
    const now = Date.now();
    for (const host of this.hosts) {
      if (!host.isReady) continue;
      const queue = this.queues.get(host) ?? [];
      if (queue.length >= MAX_QUEUE_PER_HOST) continue;
      const head = queue[0];
      const held = head !== undefined && now - Math.max(head.sentAt, host.lastReplyAt) > HELD_AFTER_MS;
      const load = queue.length + (held || queue.some((q) => q.target?.runsFunctions) ? MAX_QUEUE_PER_HOST : 0);
      if (load < bestLoad) {
        best = host;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Room opened (a request finished, a host became ready): the longest waiters go first. */
  wake(): void {
    while (this.waiters.length > 0) {
      const host = this.pick();
      if (!host) return;
      const waiter = this.waiters.shift()!;
      clearTimeout(waiter.timer);
      waiter.resolve(host);
    }
  }

  /** The CPU for a new host: a slot no live host holds. */
  nextCpu(): number | undefined {
    const used = this.hosts.map((h) => h.cpu);
    for (const cpu of this.cpus) {
      const at = used.indexOf(cpu);
      if (at < 0) return cpu;
      used.splice(at, 1);
    }
    return this.cpus[0];
  }

  /** Every live process of the lane, the spare included. */
  all(): EngineHostProcess[] {
    return this.spare ? [...this.hosts, this.spare] : [...this.hosts];
  }

  status(): LaneStatus {
    return {
      hosts: this.hosts.length,
      spareReady: this.spare?.isReady ?? false,
      ready: this.hosts.filter((h) => h.isReady).length,
      queued: this.hosts.reduce((sum, h) => sum + (this.queues.get(h)?.length ?? 0), 0),
      waiting: this.waiters.length,
      restarts: this.restartCount,
      lastRestart: this.lastRestart,
    };
  }
}

/**
 * Runs zen-engine in child processes, so that nothing an evaluation does can crash the node or hold
 * the engine past a deadline. zen has no time limit on expressions and cannot be interrupted, so:
 * - each host runs one evaluation at a time (requests queue here), pinned to one CPU: when an
 *   evaluation runs away, the node knows exactly which one it is, and nothing else waits inside
 *   that host (measured with two engine threads per process: half of the quick evaluations queued
 *   behind a runaway one on its thread, and nobody could tell which request held them);
 * - the serving lane (VERDICT_ENGINE_HOSTS processes) evaluates deployed decisions; an evaluation
 *   still running at the slow mark (VERDICT_EVAL_SLOW_MS) that has spent real CPU has its host
 *   stopped and replaced, and runs again in the isolated lane, where its decision stays for a
 *   while (VERDICT_ISOLATION_MS);
 * - the isolated lane (one process, lower CPU priority) runs those decisions, editors'
 *   simulations and save-time expression checks; at the deadline (VERDICT_EVAL_TIMEOUT_MS) its
 *   host is stopped and the request answers 422.
 * One tenant's costly decision thus costs the others one host for one slow mark, once.
 */
export class EnginePool {
  readonly #options: EnginePoolOptions;
  readonly #lanes: { readonly serving: LaneHosts; readonly isolated: LaneHosts };
  readonly #namespaces = new Map<string, readonly { key: string; content: JdmDocument }[]>();
  /** What each host has been sent and not answered, in order: the first is what it works on. */
  readonly #queues = new Map<EngineHostProcess, Sent[]>();
  readonly #isolation: Isolation;
  readonly #gate: FunctionGate;
  readonly #sweeper: NodeJS.Timeout;
  readonly #pinned: boolean;
  readonly #spare: boolean;
  #checking: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: EnginePoolOptions) {
    this.#options = options;
    const hosts = Math.max(1, options.hosts);
    const cpus = canPin() ? allowedCpus() : undefined;
    this.#pinned = cpus !== undefined;
    if (!cpus) options.logger.warn('engine hosts cannot be pinned to one CPU each here (Linux with taskset needed); each still runs one evaluation at a time');
    this.#lanes = {
      serving: new LaneHosts('serving', hosts, Array.from({ length: hosts }, (_, i) => cpus?.[i % cpus.length]), this.#queues),
      // The isolated lane runs on the last CPU, at lower priority.
      isolated: new LaneHosts('isolated', 1, [cpus?.[cpus.length - 1]], this.#queues),
    };
    this.#isolation = new Isolation(options.isolationMs);
    this.#gate = new FunctionGate(options.functionConcurrency);
    // Both lanes start now: a request that needs the isolated lane should not wait for a process start.
    for (const lane of [this.#lanes.serving, this.#lanes.isolated]) for (let i = 0; i < lane.size; i++) this.#spawn(lane);
    this.#spare = options.spare ?? true;
    if (this.#spare) this.#spawn(this.#lanes.serving, true);
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.min(50, Math.floor(options.slowMs / 4))));
    this.#sweeper.unref();
  }

  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  /** Resolves once every host has started (start-up and tests use it; evaluations just wait). */
  async started(): Promise<void> {
    await Promise.all([...this.#lanes.serving.all(), ...this.#lanes.isolated.all()].map((h) => h.ready.catch(() => undefined)));
  }

  /**
   * Makes a namespace (a compiled release) loadable and loads it into the serving hosts now, so an
   * engine that refuses a graph is found before the release is served. Hosts started later load it
   * as they start; the isolated host loads it when it first needs it.
   */
  async register(ns: string, decisions: readonly { key: string; content: JdmDocument }[]): Promise<void> {
    this.#namespaces.set(ns, decisions);
    const lane = this.#lanes.serving;
    let hosts = lane.all().filter((h) => !h.gone);
    if (hosts.length === 0) hosts = [await this.#acquire(lane, Date.now() + 60_000)];
    try {
      await Promise.all(hosts.map((h) => h.ensureLoaded(ns, () => decisions)));
    } catch (error) {
      this.unregister(ns);
      if (error instanceof HostGone) throw new Error(`an engine host stopped while loading the release (${error.exit})`, { cause: error });
      throw error;
    }
  }

  unregister(ns: string): void {
    this.#namespaces.delete(ns);
    for (const lane of [this.#lanes.serving, this.#lanes.isolated]) for (const host of lane.all()) host.unload(ns);
    this.#isolation.forgetNamespace(ns);
  }

  evaluate(target: EvaluationTarget, context: unknown, trace: boolean): Promise<EngineResponse> {
    return this.#run(target, 'auto', (host, handle) => host.request<EngineResponse>({ t: 'eval', ns: target.ns, key: target.key, context, trace }, handle));
  }

  /** Many contexts against one decision in one host: one deadline for the whole batch. */
  batch(target: EvaluationTarget, contexts: readonly unknown[], trace: boolean): Promise<BatchItem[]> {
    return this.#run(target, 'auto', (host, handle) => host.request<BatchItem[]>({ t: 'batch', ns: target.ns, key: target.key, contexts, trace }, handle));
  }

  /**
   * Evaluates a draft (an editor's simulation) in the isolated lane: `decisions` holds the graph and
   * every sub-decision it may call, under a namespace of its own that is dropped afterwards.
   */
  async simulate(decisions: readonly { key: string; content: JdmDocument }[], key: string, context: unknown, trace: boolean): Promise<EngineResponse> {
    const ns = `sim:${randomUUID()}`;
    this.#namespaces.set(ns, decisions);
    try {
      const runsFunctions = decisions.some((d) => d.content.nodes.some((n) => n.type === 'functionNode'));
      const target: EvaluationTarget = { ns, key, label: `simulation of ${key}`, runsFunctions };
      return await this.#run(target, 'isolated', (host, handle) => host.request<EngineResponse>({ t: 'eval', ns, key, context, trace }, handle));
    } finally {
      this.unregister(ns);
    }
  }

  /**
   * Compiles expressions with the engine (the isolated lane). One expression may take at most the
   * evaluation deadline even with no input, else it is reported as too costly; one that kills the
   * engine is reported as such.
   */
  check(items: readonly ExpressionCheck[]): Promise<CheckResult[]> {
    const run = this.#checking.then(() => this.#check(items));
    this.#checking = run.catch(() => undefined);
    return run;
  }

  /** Whether the engine can load a graph at all (undefined: yes; else its complaint). */
  async loadable(content: JdmDocument): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const lane = this.#lanes.isolated;
      const host = await this.#acquire(lane, Date.now() + this.#options.timeoutMs);
      const sent = this.#send(host, undefined, Date.now() + this.#options.timeoutMs);
      try {
        return (await host.request<string | null>({ t: 'loadable', content }, sent.handle)) ?? undefined;
      } catch (error) {
        if (!(error instanceof HostGone) || error.stoppedFor === 'shutdown') throw error;
        if (sent.role === 'waiting' && attempt < 3) continue; // another request's host went away
        return sent.timedOut ? `loading it took longer than ${this.#options.timeoutMs} ms` : `the engine crashed loading it (${error.exit})`;
      } finally {
        this.#done(sent);
      }
    }
  }

  status(): PoolStatus {
    return {
      serving: this.#lanes.serving.status(),
      isolated: this.#lanes.isolated.status(),
      functionGate: this.#gate.status,
      isolatedDecisions: this.#isolation.list(),
      timeoutMs: this.#options.timeoutMs,
      pinned: this.#pinned,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    const hosts = [...this.#lanes.serving.all(), ...this.#lanes.isolated.all()];
    for (const lane of [this.#lanes.serving, this.#lanes.isolated]) {
      clearTimeout(lane.respawnTimer);
      for (const waiter of lane.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new AppError('not-ready', 'this node is shutting down'));
      }
    }
    for (const host of hosts) host.stop('shutdown');
    await Promise.all(hosts.map((h) => h.exited()));
  }

  async #run<T>(target: EvaluationTarget, laneChoice: 'auto' | 'isolated', send: (host: EngineHostProcess, handle: { id: number }) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#options.timeoutMs;
    // The gate keeps serving hosts free for table and expression decisions; the isolated lane has its own.
    const releaseGate = target.runsFunctions && laneChoice === 'auto' ? await this.#gate.acquire(deadline) : undefined;
    try {
      let suspect = false; // a host died under it once: the next attempt runs isolated, a second death settles it
      for (;;) {
        const lane = laneChoice === 'isolated' || suspect || this.#isolation.has(target.ns, target.key) ? this.#lanes.isolated : this.#lanes.serving;
        const host = lane.pick() ?? (await this.#acquire(lane, deadline));
        if (!host.hasLoaded(target.ns)) {
          const decisions = this.#namespaces.get(target.ns);
          if (!decisions) throw new AppError('not-ready', `the release of '${target.label}' is no longer served here; retry`);
          void host.ensureLoaded(target.ns, () => decisions).catch(() => undefined); // a refusal shows as the evaluation's error
        }
        const sent = this.#send(host, target, deadline);
        try {
          return await send(host, sent.handle);
        } catch (error) {
          if (!(error instanceof HostGone)) throw error;
          if (error.stoppedFor === 'shutdown') throw new AppError('not-ready', 'this node is shutting down');
          if (sent.role === 'waiting') continue; // it had not begun: it runs elsewhere, whatever the host did
          if (sent.timedOut) throw this.#timeoutError(target);
          if (sent.moved) continue; // the isolation registry sends it to the isolated lane now
          // The host died under it (a native crash, or killed from outside).
          if (suspect || target.runsFunctions || Date.now() >= deadline) {
            this.#isolate(target, 'crash', `an engine host died evaluating it (${error.exit})`);
            throw new AppError('evaluation-failed', `decision '${target.key}': the engine crashed evaluating it (${error.exit}); it now runs isolated from other decisions`, {
              decision: target.key,
            });
          }
          suspect = true;
        } finally {
          this.#done(sent);
        }
      }
    } finally {
      releaseGate?.();
    }
  }

  #send(host: EngineHostProcess, target: EvaluationTarget | undefined, deadline: number): Sent {
    const sent: Sent = { target, host, handle: { id: 0 }, sentAt: Date.now(), deadline, timedOut: false, moved: false, role: undefined, abandoned: false };
    let queue = this.#queues.get(host);
    if (!queue) this.#queues.set(host, (queue = []));
    queue.push(sent);
    return sent;
  }

  /** A request is answered (or given up): its host has room again. */
  #done(sent: Sent): void {
    if (sent.abandoned) return; // still in the host's hands: it leaves when the host answers
    const queue = this.#queues.get(sent.host);
    const at = queue?.indexOf(sent) ?? -1;
    if (at >= 0) queue!.splice(at, 1);
    if (!sent.host.gone) (sent.host.lane === 'serving' ? this.#lanes.serving : this.#lanes.isolated).wake();
  }

  async #check(items: readonly ExpressionCheck[]): Promise<CheckResult[]> {
    const results = new Array<CheckResult>(items.length);
    let todo = items.map((_, i) => i);
    let kills = 0;
    const lane = this.#lanes.isolated;
    while (todo.length > 0) {
      if (kills >= MAX_CHECK_KILLS) {
        // The graph is refused for the problems found; checking on would cost a deadline each.
        for (const i of todo) results[i] = { ok: true };
        break;
      }
      const host = await this.#acquire(lane, Date.now() + 60_000);
      // Checks have no deadline of their own: each expression has one, timed from the progress pipe.
      const sent = this.#send(host, undefined, Infinity);
      host.progress = -1;
      host.progressAt = Infinity; // not begun: it may wait behind evaluations in the queue
      let begun = false;
      const watchdog = setInterval(() => {
        if (!begun && this.#queues.get(host)?.[0] === sent) {
          begun = true;
          host.progressAt = Math.max(Date.now(), host.lastReplyAt);
        }
        if (Date.now() - host.progressAt > this.#options.timeoutMs) host.stop('deadline');
      }, Math.max(10, Math.min(100, Math.floor(this.#options.timeoutMs / 10))));
      try {
        const answers = await host.request<CheckResult[]>({ t: 'check', items: todo.map((i) => items[i]!) }, sent.handle);
        todo.forEach((i, j) => (results[i] = answers[j]!));
        todo = [];
      } catch (error) {
        if (!(error instanceof HostGone) || error.stoppedFor === 'shutdown') throw error;
        if (sent.role === 'waiting') continue; // another request's host went away before this began
        kills++;
        const failed = host.progress;
        if (failed < 0 || failed >= todo.length) continue; // died before it began: again, on a new host
        const index = todo[failed]!;
        this.#options.logger.warn({ expression: items[index]!.expression.slice(0, 200), reason: error.exit }, 'an expression stopped an engine host during checks');
        results[index] = {
          ok: false,
          error:
            error.stoppedFor === 'deadline'
              ? `it runs longer than ${this.#options.timeoutMs} ms even with no input (VERDICT_EVAL_TIMEOUT_MS), so every evaluation would time out`
              : `evaluating it crashed the engine (${error.exit}); simplify it`,
        };
        // The answers before it were lost with the host: those are checked again (they were quick).
        todo = todo.filter((_, j) => j !== failed);
      } finally {
        clearInterval(watchdog);
        this.#done(sent);
      }
    }
    return results;
  }

  #timeoutError(target: EvaluationTarget): AppError {
    return new AppError(
      'evaluation-timeout',
      `decision '${target.key}' did not finish within ${this.#options.timeoutMs} ms (VERDICT_EVAL_TIMEOUT_MS) and was stopped; it now runs isolated from other decisions`,
      { decision: target.key, timeoutMs: this.#options.timeoutMs },
    );
  }

  #isolate(target: EvaluationTarget, reason: 'slow' | 'timeout' | 'crash', detail: string): void {
    if (target.ns.startsWith('sim:')) return; // a simulation runs isolated already and is gone after it
    const fresh = this.#isolation.add(target.ns, target.key, target.label, reason);
    this.#options.events?.limit?.(reason, target.label);
    if (fresh) this.#options.logger.warn({ decision: target.label, reason, detail, forMs: this.#options.isolationMs }, 'decision moved to the isolated engine lane');
  }

  /**
   * Deadlines and the slow mark, checked a few times per slow mark rather than with a timer per
   * request. A host works on the first request of its queue, since its last answer (or since the
   * request was sent): what the host spends meanwhile is that request's.
   */
  #sweep(): void {
    const now = Date.now();
    for (const [host, queue] of this.#queues) {
      if (queue.length === 0) continue;
      if (host.gone) continue;
      host.sampleCpu(now);
      // Waiting ones past their deadline have not begun: they are given up (the host drops them).
      for (const sent of queue.slice(1)) {
        if (sent.timedOut || now < sent.deadline) continue;
        sent.timedOut = true;
        host.cancel(
          sent.handle.id,
          new AppError('not-ready', `the engine could not start this evaluation within ${this.#options.timeoutMs} ms (VERDICT_EVAL_TIMEOUT_MS) because it is busy; retry shortly`),
          true,
        );
      }
      const working = queue[0]!;
      const target = working.target;
      if (!target || working.moved) continue;
      const since = Math.max(working.sentAt, host.lastReplyAt);
      if (working.abandoned) {
        // Its caller was answered when it looked starved; if it turns out to run away, the host goes.
        if (now - since > this.#options.slowMs && this.#costly(host, since, now)) {
          this.#isolate(target, 'timeout', 'kept running after its deadline');
          host.stop('deadline');
        }
        continue;
      }
      if (working.timedOut) continue;
      if (now >= working.deadline) {
        working.timedOut = true;
        // In the isolated lane the decision is a suspect already: its host goes at the deadline.
        if (host.lane === 'isolated' || target.runsFunctions || this.#costly(host, since, now)) {
          this.#isolate(target, 'timeout', `stopped at its ${this.#options.timeoutMs} ms deadline`);
          host.stop('deadline');
        } else {
          // Starved, not costly (a busy machine): the caller is answered now, the host left to finish.
          working.abandoned = true;
          host.cancel(
            working.handle.id,
            new AppError('not-ready', `the engine could not finish this evaluation within ${this.#options.timeoutMs} ms (VERDICT_EVAL_TIMEOUT_MS) because the machine is busy; retry shortly`),
            false,
          );
        }
        continue;
      }
      // A function node may wait on I/O: it is gated, and stopped at its deadline instead.
      if (host.lane !== 'serving' || target.runsFunctions || now - since <= this.#options.slowMs || !this.#costly(host, since, now)) continue;
      working.moved = true;
      this.#isolate(target, 'slow', `still running after ${this.#options.slowMs} ms (VERDICT_EVAL_SLOW_MS)`);
      host.stop('slow');
    }
  }

  /**
   * Whether an evaluation has cost real CPU, not only time: a host starved of CPU on a busy machine
   * is slow without being costly. Unknown (no /proc) counts as costly.
   */
  #costly(host: EngineHostProcess, since: number, now: number): boolean {
    const used = host.cpuSince(since);
    return used === undefined || used >= Math.max(COSTLY_MIN_CPU_MS, COSTLY_MIN_SHARE * (now - since));
  }

  #acquire(lane: LaneHosts, deadline: number): Promise<EngineHostProcess> {
    const free = lane.pick();
    if (free) return Promise.resolve(free);
    if (this.#closed) return Promise.reject(new AppError('not-ready', 'this node is shutting down'));
    if (lane.waiters.length >= MAX_WAITING[lane.lane]) {
      return Promise.reject(new AppError('not-ready', `too many evaluations are waiting for the ${lane.lane} engine lane; retry shortly`));
    }
    if (lane.hosts.length === 0 && !lane.respawnTimer) this.#spawn(lane);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(
          () => {
            lane.waiters.splice(lane.waiters.indexOf(waiter), 1);
            reject(new AppError('not-ready', `no engine host of the ${lane.lane} lane had room before this request's deadline (${this.#options.timeoutMs} ms); retry shortly`));
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      lane.waiters.push(waiter);
    });
  }

  #spawn(lane: LaneHosts, asSpare = false): void {
    if (this.#closed) return;
    const host = new EngineHostProcess(
      lane.lane,
      // The spare waits on the isolated lane's CPU, the least busy one; it moves when it takes over.
      asSpare ? this.#lanes.isolated.cpus[0] : lane.nextCpu(),
      { allowHosts: this.#options.allowHosts, functionTimeoutMs: Math.max(10, Math.floor(this.#options.timeoutMs * 0.8)) },
      {
        onHttp: (calls) => this.#options.events?.http?.(calls),
        onExit: (gone, why) => this.#onExit(lane, gone, why),
        onWarm: (warm) => {
          if (warm !== lane.spare) lane.wake();
        },
        onAnswer: (answering, id) => {
          const queue = this.#queues.get(answering);
          const at = queue?.findIndex((q) => q.abandoned && q.handle.id === id) ?? -1;
          if (at >= 0) {
            queue!.splice(at, 1);
            lane.wake();
          }
        },
      },
      this.#options.logger,
    );
    if (asSpare) lane.spare = host;
    else lane.hosts.push(host);
    // Serving hosts hold every registered release, sent before anything else reaches them.
    const loads: Promise<void>[] = [];
    if (lane.lane === 'serving') for (const [ns, decisions] of this.#namespaces) if (!ns.startsWith('sim:')) loads.push(host.ensureLoaded(ns, () => decisions));
    host.warmUp([host.ready, ...loads]);
  }

  #onExit(lane: LaneHosts, host: EngineHostProcess, gone: HostGone): void {
    const wasSpare = host === lane.spare;
    if (wasSpare) lane.spare = undefined;
    else lane.hosts.splice(lane.hosts.indexOf(host), 1);
    // Runs before the requests see their rejection: the first was being worked on, the rest had not begun.
    const queue = this.#queues.get(host) ?? [];
    queue.forEach((sent, i) => (sent.role = i === 0 ? 'working' : 'waiting'));
    this.#queues.delete(host);
    if (this.#closed || gone.stoppedFor === 'shutdown') return;
    // The spare takes the stopped host's place at once (its CPU too, when pinned).
    const spare = lane.spare;
    if (!wasSpare && spare?.isReady) {
      lane.spare = undefined;
      spare.moveTo(lane.nextCpu());
      lane.hosts.push(spare);
      lane.wake();
    }
    const reason = gone.stoppedFor ?? gone.exit;
    lane.restartCount++;
    lane.lastRestart = { at: new Date().toISOString(), reason };
    this.#options.events?.restart?.(lane.lane, reason);
    if (gone.stoppedFor === undefined) this.#options.logger.error({ host: host.name, pid: host.pid, exit: gone.exit }, 'engine host died; starting another');
    else this.#options.logger.warn({ host: host.name, pid: host.pid, reason }, 'engine host stopped; starting another');
    // Replaced at once, unless hosts keep dying (then once a second: a crash loop must not eat the node's CPU).
    const now = Date.now();
    lane.restarts.push(now);
    while (lane.restarts.length > 0 && lane.restarts[0]! < now - RESTART_WINDOW_MS) lane.restarts.shift();
    const refill = () => {
      while (lane.hosts.length < lane.size) this.#spawn(lane);
      if (lane.lane === 'serving' && this.#spare && !lane.spare) this.#spawn(lane, true);
    };
    if (lane.restarts.length <= RESTARTS_BEFORE_BACKOFF) refill();
    else if (!lane.respawnTimer) {
      lane.respawnTimer = setTimeout(() => {
        lane.respawnTimer = undefined;
        refill();
      }, BACKOFF_MS);
      lane.respawnTimer.unref();
    }
  }
}
