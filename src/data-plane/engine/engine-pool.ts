import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { FunctionGate, type FunctionGateStatus } from './function-gate.js';
import { EngineHostProcess, HostGone, type Lane } from './host-process.js';
import type { BatchItem, CheckResult, EngineResponse, ExpressionCheck, HttpCalls } from './protocol.js';
import { Isolation, type IsolatedDecision } from './isolation.js';
import { allowedCpus, canPin } from './cpu-pinning.js';
import { LaneHosts, type EvaluationTarget, type LaneStatus, type Sent, type Waiter } from './lane.js';
import { checkExpressions } from './expression-checks.js';

export type { Lane } from './host-process.js';
export { EngineFailure } from './host-process.js';
export type { EvaluationTarget, LaneStatus } from './lane.js';

export interface EnginePoolOptions {
  /** Hosts function nodes may call over HTTP. */
  readonly allowHosts: readonly string[];
  /** Engine host processes serving evaluations (the isolated lane has one more). */
  readonly hosts: number;
  /** Keep a started spare host that takes a stopped host's place at once (default true). */
  readonly spare?: boolean | undefined;
  /** Every evaluation (a whole batch, a simulation, one expression check) ends by this deadline. */
  readonly timeoutMs: number;
  /** A host held this long by a runaway evaluation is stopped, and the runaway isolated. */
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
  /** A decision hit a bound: it held a host past the slow mark, ran past its deadline, or crashed a host. */
  limit(kind: 'slow' | 'timeout' | 'crash', label: string): void;
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
const MAX_WAITING = { serving: 20_000, isolated: 200 } as const;
/** Answers a host may still owe for requests given up on before it is replaced. */
const MAX_ABANDONED_PER_HOST = 4;
/** Attempts of one request: suspects run again alone, a crash once more isolated. */
const MAX_ATTEMPTS = 4;
/**
 * CPU a host must have used to be called held by a runaway rather than starved on a busy machine
 * (or cold: measured here, a decision's first evaluation in a fresh process took 43 ms of CPU, the
 * next ones 0.5 ms). A runaway evaluation given a fifth of a core passes 100 ms by the slow mark.
 */
const COSTLY_MIN_CPU_MS = 100;
const COSTLY_MIN_SHARE = 0.1;

/**
 * Runs zen-engine in child processes, so that nothing an evaluation does can crash the node or hold
 * the engine past a deadline. zen has no time limit on expressions and cannot be interrupted:
 * - each host is pinned to one CPU, so zen has one thread there: a runaway evaluation silences its
 *   host, and the host's CPU time shows it is working, not starved (measured with two threads per
 *   process: half the quick evaluations queued behind a runaway one and half did not);
 * - the serving lane (VERDICT_ENGINE_HOSTS processes) pipelines evaluations to its hosts. A host
 *   silent for the slow mark (VERDICT_EVAL_SLOW_MS) while spending CPU is stopped and replaced
 *   (by a warm spare, at once). If it ran one request, that is the runaway: its decision moves to
 *   the isolated lane (for VERDICT_ISOLATION_MS) and it runs again there. If it ran several, each
 *   runs again alone on a serving host, which tells them apart within one more slow mark;
 * - the isolated lane (one process at lower CPU priority) runs one request at a time: isolated
 *   decisions, editors' simulations, save-time expression checks. At the deadline
 *   (VERDICT_EVAL_TIMEOUT_MS) its host is stopped and the request answers 422.
 * One tenant's runaway decision thus costs the others at most a slow mark or two, once.
 */
export class EnginePool {
  readonly #options: EnginePoolOptions;
  readonly #lanes: { readonly serving: LaneHosts; readonly isolated: LaneHosts };
  readonly #namespaces = new Map<string, readonly { key: string; content: JdmDocument }[]>();
  /** What each host has been sent and not answered, in order. */
  readonly #queues = new Map<EngineHostProcess, Sent[]>();
  readonly #isolation: Isolation;
  readonly #answerTimes = new Map<string, { n: number; avgMs: number }>();
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
    if (!cpus) options.logger.warn('engine hosts cannot be pinned to one CPU each here (Linux with taskset needed): a runaway evaluation is found less surely');
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
    const hosts = lane.all().filter((h) => !h.gone);
    try {
      if (hosts.length === 0) {
        // Every serving host is being replaced: load it with the first one that comes back.
        const sent = await this.#dispatch(lane, undefined, Date.now() + 60_000, false);
        this.#done(sent);
        hosts.push(sent.host);
      }
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
   * engine is reported as such. One check runs at a time.
   */
  check(items: readonly ExpressionCheck[]): Promise<CheckResult[]> {
    const run = this.#checking.then(() =>
      checkExpressions(items, {
        timeoutMs: this.#options.timeoutMs,
        logger: this.#options.logger,
        dispatch: () => this.#dispatch(this.#lanes.isolated, undefined, Infinity, true),
        done: (sent) => this.#done(sent),
      }),
    );
    this.#checking = run.catch(() => undefined);
    return run;
  }

  /** Whether the engine can load a graph at all (undefined: yes; else its complaint). */
  async loadable(content: JdmDocument): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const sent = await this.#dispatch(this.#lanes.isolated, undefined, Date.now() + this.#options.timeoutMs, true);
      const watchdog = setTimeout(() => sent.host.stop('deadline'), this.#options.timeoutMs);
      try {
        return (await sent.host.request<string | null>({ t: 'loadable', content }, sent.handle)) ?? undefined;
      } catch (error) {
        if (!(error instanceof HostGone) || error.stoppedFor === 'shutdown') throw error;
        if (error.stoppedFor === 'deadline') return `loading it took longer than ${this.#options.timeoutMs} ms`;
        if (attempt < 1) continue; // once more: the crash may have had another cause
        return `the engine crashed loading it (${error.exit})`;
      } finally {
        clearTimeout(watchdog);
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
      for (const waiter of lane.waiters.splice(0)) clearTimeout(waiter.timer);
    }
    for (const host of hosts) host.stop('shutdown');
    await Promise.all(hosts.map((h) => h.exited()));
  }

  async #run<T>(target: EvaluationTarget, laneChoice: 'auto' | 'isolated', send: (host: EngineHostProcess, handle: { id: number }) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#options.timeoutMs;
    // The gate keeps serving hosts free for table and expression decisions; the isolated lane has its own.
    const releaseGate = target.runsFunctions && laneChoice === 'auto' ? await this.#gate.acquire(deadline) : undefined;
    try {
      let exclusive = false; // runs alone: it was one of several on a host that had to be stopped
      let crashedOnce = false; // it alone was running when a host died: once more, isolated
      for (let attempt = 1; ; attempt++) {
        const isolated = laneChoice === 'isolated' || crashedOnce || this.#isolation.has(target.ns, target.key);
        const sent = await this.#dispatch(isolated ? this.#lanes.isolated : this.#lanes.serving, target, deadline, exclusive);
        try {
          if (!sent.host.hasLoaded(target.ns)) {
            const decisions = this.#namespaces.get(target.ns);
            if (!decisions) throw new AppError('not-ready', `the release of '${target.label}' is no longer served here; retry`);
            void sent.host.ensureLoaded(target.ns, () => decisions).catch(() => undefined); // a refusal shows as the evaluation's error
          }
          const answer = await send(sent.host, sent.handle);
          this.#record(target, Date.now() - sent.sentAt);
          return answer;
        } catch (error) {
          if (!(error instanceof HostGone)) throw error;
          if (error.stoppedFor === 'shutdown') throw new AppError('not-ready', 'this node is shutting down');
          if (sent.timedOut) throw this.#timeoutError(target);
          const again = attempt < MAX_ATTEMPTS && Date.now() < deadline;
          if (sent.moved && again) continue; // the isolation registry sends it to the isolated lane now
          if (sent.collateral && again && !target.runsFunctions) continue;
          if (sent.suspect && again && !target.runsFunctions) {
            // A decision that always answered quickly most likely waited behind the runaway: it
            // runs again at once; others (and anything suspected twice) run alone, to tell.
            exclusive = exclusive || attempt > 1 || !this.#quick(target);
            continue;
          }
          if (error.stoppedFor === undefined && !sent.suspect) {
            // It alone was running when its host died (a native crash).
            if (crashedOnce || !again || target.runsFunctions) {
              this.#isolate(target, 'crash', `an engine host died evaluating it (${error.exit})`);
              throw new AppError('evaluation-failed', `decision '${target.key}': the engine crashed evaluating it (${error.exit}); it now runs isolated from other decisions`, {
                decision: target.key,
              });
            }
            crashedOnce = true;
            continue;
          }
          throw new AppError(
            'not-ready',
            target.runsFunctions
              ? 'the engine host running this evaluation was stopped because of another evaluation; evaluations that run function code are not run twice automatically: retry'
              : 'the engine host running this evaluation was stopped because of another evaluation, and no time was left to run it again; retry',
          );
        } finally {
          this.#done(sent);
        }
      }
    } finally {
      releaseGate?.();
    }
  }

  /** Queues a request on a host of `lane` (now, or when one has room before the deadline). */
  #dispatch(lane: LaneHosts, target: EvaluationTarget | undefined, deadline: number, exclusive: boolean): Promise<Sent> {
    const queue = (host: EngineHostProcess): Sent => {
      const sent: Sent = { target, host, handle: { id: 0 }, sentAt: Date.now(), deadline, exclusive, timedOut: false, moved: false, suspect: false, collateral: false, abandoned: false };
      lane.queue(host).push(sent);
      return sent;
    };
    const free = lane.pick(exclusive);
    if (free) return Promise.resolve(queue(free));
    if (this.#closed) return Promise.reject(new AppError('not-ready', 'this node is shutting down'));
    if (lane.waiters.length >= MAX_WAITING[lane.lane]) {
      return Promise.reject(new AppError('not-ready', `too many evaluations are waiting for the ${lane.lane} engine lane; retry shortly`));
    }
    if (lane.hosts.length === 0 && !lane.respawnTimer) this.#spawn(lane);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        exclusive,
        claim: (host) => resolve(queue(host)),
        timer: setTimeout(
          () => {
            lane.waiters.splice(lane.waiters.indexOf(waiter), 1);
            lane.unreserve(waiter);
            lane.wake(); // the host it kept takes other work again
            reject(new AppError('not-ready', `no engine host of the ${lane.lane} lane had room before this request's deadline (${this.#options.timeoutMs} ms); retry shortly`));
          },
          Math.max(0, Math.min(deadline, Date.now() + 2 ** 31 - 1) - Date.now()),
        ),
      };
      lane.waiters.push(waiter);
      if (exclusive && lane.lane === 'serving') lane.reserve(waiter);
    });
  }

  /** A request is answered or given up: it leaves its host's queue (unless the host still works on it). */
  #done(sent: Sent): void {
    if (sent.abandoned && !sent.host.gone) return; // leaves when the host answers (see onAnswer)
    const queue = this.#queues.get(sent.host);
    const at = queue?.indexOf(sent) ?? -1;
    if (at >= 0) queue!.splice(at, 1);
    this.#afterChange(sent.host);
  }

  /** A host's queue shrank: others may send to it, and a draining host with nothing left is replaced. */
  #afterChange(host: EngineHostProcess): void {
    if (host.gone) return;
    const lane = host.lane === 'serving' ? this.#lanes.serving : this.#lanes.isolated;
    if (lane.draining.has(host) && (this.#queues.get(host)?.every((s) => s.abandoned) ?? true)) host.stop('deadline');
    else lane.wake();
  }

  /** Recent answer times per decision (an exponential moving average), to tell suspects apart. */
  #record(target: EvaluationTarget, ms: number): void {
    const id = `${target.ns}\0${target.key}`;
    const seen = this.#answerTimes.get(id);
    if (seen) {
      seen.n++;
      seen.avgMs += (ms - seen.avgMs) / Math.min(seen.n, 50);
    } else {
      if (this.#answerTimes.size >= 10_000) this.#answerTimes.clear(); // bounded; it only steers retries
      this.#answerTimes.set(id, { n: 1, avgMs: ms });
    }
  }

  /** Answered often, and far quicker than the slow mark. */
  #quick(target: EvaluationTarget): boolean {
    const seen = this.#answerTimes.get(`${target.ns}\0${target.key}`);
    return seen !== undefined && seen.n >= 20 && seen.avgMs < this.#options.slowMs / 10;
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
   * request. A host pinned to one CPU that answers nothing while spending CPU is held by a runaway.
   */
  #sweep(): void {
    const now = Date.now();
    for (const [host, queue] of this.#queues) {
      const live = queue.filter((s) => !s.abandoned);
      if (host.gone || queue.length === 0) continue;
      host.sampleCpu(now);
      const since = Math.max(host.lastReplyAt, Math.min(...queue.map((s) => s.sentAt)));
      const held = now - since > this.#options.slowMs && this.#costly(host, since, now);
      // Function code may wait on I/O and is stopped by the engine before the deadline: only
      // deadlines apply to a host running some.
      const functions = live.filter((s) => s.target?.runsFunctions);
      if (host.lane === 'serving' && held && functions.length === 0) {
        this.#stopHeld(host, live, queue);
        continue;
      }
      for (const sent of live) {
        if (sent.timedOut || now < sent.deadline || !sent.target) continue;
        sent.timedOut = true;
        const alone = live.length === 1;
        if (host.lane === 'isolated' || (held && (alone || (functions.length === 1 && functions[0] === sent)))) {
          // Surely this one: it runs alone, or is the one function holding a host.
          this.#isolate(sent.target, 'timeout', `stopped at its ${this.#options.timeoutMs} ms deadline`);
          for (const other of live) if (other !== sent) other.collateral = true;
          host.stop('deadline');
          break;
        }
        // Waiting on I/O (a function), or starved on a busy machine: its caller is answered now.
        sent.abandoned = true;
        if (sent.target.runsFunctions) this.#isolate(sent.target, 'timeout', `no answer by its ${this.#options.timeoutMs} ms deadline`);
        host.abandon(
          sent.handle.id,
          sent.target.runsFunctions
            ? this.#timeoutError(sent.target)
            : new AppError('not-ready', `the engine could not finish this evaluation within ${this.#options.timeoutMs} ms (VERDICT_EVAL_TIMEOUT_MS) because the machine is busy; retry shortly`),
        );
        if (queue.filter((s) => s.abandoned).length >= MAX_ABANDONED_PER_HOST) this.#drain(host);
      }
    }
  }

  /** A serving host held by a runaway: stop it; tell its requests which runs again where. */
  #stopHeld(host: EngineHostProcess, live: readonly Sent[], queue: readonly Sent[]): void {
    const evaluations = live.filter((s) => s.target);
    const zombies = queue.filter((s) => s.abandoned && s.target);
    // The runaway: the only request, or the only one whose decision has no record of answering quickly.
    const unproven = evaluations.filter((s) => !this.#quick(s.target!));
    const culprit = zombies.length > 0 ? undefined : evaluations.length === 1 ? evaluations[0] : unproven.length === 1 ? unproven[0] : undefined;
    if (culprit) {
      culprit.moved = true;
      this.#isolate(culprit.target!, 'slow', `held its engine host for ${this.#options.slowMs} ms (VERDICT_EVAL_SLOW_MS)`);
      for (const sent of evaluations) if (sent !== culprit) sent.collateral = true;
    } else if (evaluations.length === 0 && zombies.length === 1) {
      // Given up on as starved at its deadline, it turned out to run away.
      this.#isolate(zombies[0]!.target!, 'timeout', 'kept its engine host busy after its deadline');
    } else {
      for (const sent of evaluations) sent.suspect = true; // each runs again alone: the runaway shows itself
    }
    host.stop('slow');
  }

  /** No new work for a host that owes answers it will never deliver in time; replaced once idle. */
  #drain(host: EngineHostProcess): void {
    const lane = host.lane === 'serving' ? this.#lanes.serving : this.#lanes.isolated;
    if (lane.draining.has(host)) return;
    lane.draining.add(host);
    if (lane.lane === 'serving') this.#promoteSpare(lane);
    this.#afterChange(host);
  }

  /**
   * Whether a host spent real CPU since `since`: a runaway evaluation does; a host starved of CPU on
   * a busy machine does not. Unknown (no /proc) counts as spent.
   */
  #costly(host: EngineHostProcess, since: number, now: number): boolean {
    const used = host.cpuSince(since);
    return used === undefined || used >= Math.max(COSTLY_MIN_CPU_MS, COSTLY_MIN_SHARE * (now - since));
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
          if (at < 0) return;
          queue!.splice(at, 1);
          this.#afterChange(answering);
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

  /** The spare takes a leaving host's place at once (its CPU too, when pinned). */
  #promoteSpare(lane: LaneHosts): void {
    const spare = lane.spare;
    if (!spare?.isReady) return;
    lane.spare = undefined;
    spare.moveTo(lane.nextCpu());
    lane.hosts.push(spare);
    lane.wake();
    if (!this.#closed) this.#spawn(lane, true);
  }

  #onExit(lane: LaneHosts, host: EngineHostProcess, gone: HostGone): void {
    const wasSpare = host === lane.spare;
    if (wasSpare) lane.spare = undefined;
    else if (lane.hosts.includes(host)) lane.hosts.splice(lane.hosts.indexOf(host), 1);
    const drained = lane.draining.delete(host);
    const keptFor = lane.reserved.get(host);
    if (keptFor) {
      lane.reserved.delete(host);
      lane.reserve(keptFor); // another host is kept for it (or it waits for one)
    }
    // Runs before the requests see their rejection: after a crash with several running, each runs
    // again alone, which tells the one that crashes it.
    const live = (this.#queues.get(host) ?? []).filter((s) => !s.abandoned && s.target);
    if (gone.stoppedFor === undefined && live.length > 1) for (const sent of live) sent.suspect = true;
    this.#queues.delete(host);
    if (this.#closed || gone.stoppedFor === 'shutdown') return;
    const reason = gone.stoppedFor ?? gone.exit;
    lane.restartCount++;
    lane.lastRestart = { at: new Date().toISOString(), reason };
    this.#options.events?.restart?.(lane.lane, reason);
    if (gone.stoppedFor === undefined) this.#options.logger.error({ host: host.name, pid: host.pid, exit: gone.exit }, 'engine host died; starting another');
    else this.#options.logger.warn({ host: host.name, pid: host.pid, reason }, 'engine host stopped; starting another');
    if (!wasSpare && !drained && lane.lane === 'serving') this.#promoteSpare(lane);
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
