import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { AnswerTimes } from './answer-times.js';
import { allowedCpus, canPin } from './cpu-pinning.js';
import { busyError } from './engine-errors.js';
import { checkExpressions } from './expression-checks.js';
import { FunctionGate } from './function-gate.js';
import { HostGone } from './host-errors.js';
import type { EngineHostProcess } from './host-process.js';
import { HostSupervisor } from './host-supervisor.js';
import { Isolation } from './isolation.js';
import { watchLoad } from './load-deadline.js';
import { LaneHosts, type EvaluationTarget, type Sent, type Waiter } from './lane.js';
import type { EnginePoolOptions, HostQueues, NamespaceDecisions, PoolLanes, PoolStatus } from './pool-types.js';
import type { BatchItem, CheckResult, EngineResponse, ExpressionCheck } from './protocol.js';
import { Watchdog } from './watchdog.js';

export type { Lane } from './host-process.js';
export { EngineFailure } from './host-errors.js';
export type { EvaluationTarget, LaneStatus } from './lane.js';
export type { EnginePoolOptions, PoolEvents, PoolStatus } from './pool-types.js';

const MAX_WAITING = { serving: 20_000, isolated: 200 } as const;
/** Attempts of one request: suspects run again alone, a crash once more isolated. */
const MAX_ATTEMPTS = 4;

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
  readonly #lanes: PoolLanes;
  readonly #namespaces = new Map<string, NamespaceDecisions>();
  readonly #queues: HostQueues = new Map();
  readonly #isolation: Isolation;
  readonly #answerTimes = new AnswerTimes();
  readonly #gate: FunctionGate;
  readonly #supervisor: HostSupervisor;
  readonly #watchdog: Watchdog;
  readonly #sweeper: NodeJS.Timeout;
  readonly #pinned: boolean;
  #checking: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: EnginePoolOptions) {
    this.#options = options;
    const hosts = Math.max(1, options.hosts);
    const cpus = canPin() ? allowedCpus() : undefined;
    this.#pinned = cpus !== undefined;
    if (!cpus) options.logger.warn('engine hosts cannot be pinned to one CPU each here (Linux with taskset needed): a runaway evaluation is found less surely');
    this.#lanes = {
      serving: new LaneHosts('serving', hosts, Array.from({ length: hosts }, (_, i) => cpus?.[i % cpus.length]), this.#queues, options.slowMs),
      // The isolated lane runs on the last CPU, at lower priority.
      isolated: new LaneHosts('isolated', 1, [cpus?.[cpus.length - 1]], this.#queues, options.slowMs),
    };
    this.#isolation = new Isolation(options.isolationMs);
    this.#gate = new FunctionGate(options.functionConcurrency);
    const lanes = this.#lanes;
    const queues = this.#queues;
    const afterChange = (host: EngineHostProcess) => this.#afterChange(host);
    const spare = options.spare ?? true;
    this.#supervisor = new HostSupervisor({ options, lanes, queues, namespaces: this.#namespaces, spare, isClosed: () => this.#closed, afterChange });
    this.#watchdog = new Watchdog({
      options,
      lanes,
      queues,
      isolate: (target, reason, detail) => this.#isolate(target, reason, detail),
      quick: (target) => this.#answerTimes.quick(target, options.slowMs),
      missed: (target) => this.#answerTimes.missed(target),
      timeoutError: (target) => this.#timeoutError(target),
      promoteSpare: (lane) => this.#supervisor.promoteSpare(lane),
      afterChange,
    });
    // Both lanes start now: a request that needs the isolated lane should not wait for a process start.
    for (const lane of [lanes.serving, lanes.isolated]) for (let i = 0; i < lane.size; i++) this.#supervisor.spawn(lane);
    if (spare) this.#supervisor.spawn(lanes.serving, true);
    this.#sweeper = setInterval(() => this.#watchdog.sweep(), Math.max(10, Math.min(50, Math.floor(options.slowMs / 4))));
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
  async register(ns: string, decisions: NamespaceDecisions): Promise<void> {
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
  async simulate(decisions: NamespaceDecisions, key: string, context: unknown, trace: boolean): Promise<EngineResponse> {
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
      const deadline = watchLoad(sent.host, this.#options.timeoutMs);
      try {
        return (await sent.host.request<string | null>({ t: 'loadable', content }, sent.handle)) ?? undefined;
      } catch (error) {
        if (!(error instanceof HostGone) || error.stoppedFor === 'shutdown') throw error;
        if (deadline.verdict() === 'starved') throw new AppError('not-ready', 'the machine is too busy to check this graph in time; retry shortly');
        if (error.stoppedFor === 'deadline') return `loading it took longer than ${this.#options.timeoutMs} ms`;
        if (attempt < 1) continue; // once more: the crash may have had another cause
        return `the engine crashed loading it (${error.exit})`;
      } finally {
        deadline.cancel();
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
          this.#answerTimes.record(target, Date.now() - sent.sentAt);
          return answer;
        } catch (error) {
          if (!(error instanceof HostGone)) throw error;
          if (error.stoppedFor === 'shutdown') throw new AppError('not-ready', 'this node is shutting down');
          if (sent.starved) throw busyError(this.#options.timeoutMs);
          if (sent.timedOut) throw this.#timeoutError(target);
          const again = attempt < MAX_ATTEMPTS && Date.now() < deadline;
          if (sent.moved && again) continue; // the isolation registry sends it to the isolated lane now
          if (sent.collateral && again && !target.runsFunctions) continue;
          if (sent.suspect && again && !target.runsFunctions) {
            // A decision that always answered quickly most likely waited behind the runaway: it
            // runs again at once; others (and anything suspected twice) run alone, to tell.
            exclusive = exclusive || attempt > 1 || !this.#answerTimes.quick(target, this.#options.slowMs);
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
      const sent: Sent = { target, host, handle: { id: 0 }, sentAt: Date.now(), deadline, exclusive, timedOut: false, starved: false, moved: false, suspect: false, collateral: false, abandoned: false };
      lane.queue(host).push(sent);
      return sent;
    };
    const free = lane.pick(exclusive);
    if (free) return Promise.resolve(queue(free));
    if (this.#closed) return Promise.reject(new AppError('not-ready', 'this node is shutting down'));
    if (lane.waiters.length >= MAX_WAITING[lane.lane]) {
      return Promise.reject(new AppError('not-ready', `too many evaluations are waiting for the ${lane.lane} engine lane; retry shortly`));
    }
    if (lane.hosts.length === 0 && !lane.respawnTimer) this.#supervisor.spawn(lane);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        exclusive,
        since: Date.now(),
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

}
