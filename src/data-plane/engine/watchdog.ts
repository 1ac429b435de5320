import type { AppError } from '../../errors.js';
import { busyError } from './engine-errors.js';
import type { EngineHostProcess } from './host-process.js';
import type { EvaluationTarget, LaneHosts, Sent } from './lane.js';
import type { EnginePoolOptions, HostQueues, PoolLanes } from './pool-types.js';

/** Answers a host may still owe for requests given up on before it is replaced. */
const MAX_ABANDONED_PER_HOST = 4;
/**
 * CPU a host must have used, with no answer, to be called held by a runaway rather than starved on
 * a busy machine (or cold: measured here, a decision's first evaluation in a fresh process took
 * 43 ms of CPU, the next ones 0.5 ms). A runaway evaluation given a fifth of a core passes 100 ms
 * by the slow mark. The share only guards long waits against the host's own small costs: at load
 * average 25 on 2 cores a runaway gets about 8% of a core, so it must stay well below that.
 */
const COSTLY_MIN_CPU_MS = 100;
const COSTLY_MIN_SHARE = 0.03;
/** Deadlines a decision (with no record of quick answers) may miss in a row before it is isolated. */
const MISSES_TO_ISOLATE = 2;

/** What the watchdog needs of the pool it guards. */
export interface WatchedPool {
  readonly options: EnginePoolOptions;
  readonly lanes: PoolLanes;
  readonly queues: HostQueues;
  isolate(target: EvaluationTarget, reason: 'slow' | 'timeout' | 'crash', detail: string): void;
  /** Answered often, and far quicker than the slow mark. */
  quick(target: EvaluationTarget): boolean;
  /** Counts a deadline missed with no answer; returns how many in a row for this decision. */
  missed(target: EvaluationTarget): number;
  timeoutError(target: EvaluationTarget): AppError;
  promoteSpare(lane: LaneHosts): void;
  afterChange(host: EngineHostProcess): void;
}

/** Enforces deadlines and the slow mark on every host's queue (see EnginePool). */
export class Watchdog {
  constructor(private readonly pool: WatchedPool) {}

  /**
   * Deadlines and the slow mark, checked a few times per slow mark rather than with a timer per
   * request. A host pinned to one CPU that answers nothing while spending CPU is held by a runaway.
   */
  sweep(): void {
    const now = Date.now();
    this.#relieve(now);
    for (const [host, queue] of this.pool.queues) {
      const live = queue.filter((s) => !s.abandoned);
      if (host.gone || queue.length === 0) continue;
      // Serving lane only: the isolated lane frees itself by stopping its host at a deadline (a
      // request given up on there would hold the one-at-a-time lane until it answered, maybe never).
      if (host.loading && host.lane === 'serving') {
        this.#behindLoad(host, live, queue, now);
        continue;
      }
      host.sampleCpu(now);
      const since = this.#laneOf(host).silentSince(host)!;
      const held = now - since > this.pool.options.slowMs && this.#costly(host, since, now);
      // Function code may wait on I/O and is stopped by the engine before the deadline: only
      // deadlines apply to a host running some.
      const functions = live.filter((s) => s.target?.runsFunctions);
      if (host.lane === 'serving' && held && functions.length === 0) {
        this.#stopHeld(host, live, queue);
        continue;
      }
      const oldest = live.reduce<Sent | undefined>((a, s) => (a && a.sentAt <= s.sentAt ? a : s), undefined);
      for (const sent of live) {
        if (sent.timedOut || now < sent.deadline || !sent.target) continue;
        sent.timedOut = true;
        const alone = live.length === 1;
        if (host.lane === 'isolated' && !sent.target.runsFunctions && !this.#costly(host, sent.sentAt, now) && !this.#missedTooOften(sent.target)) {
          // The isolated host (at lower CPU priority) got too little CPU to tell a runaway from a
          // starved evaluation: on a busy machine a test run or a simulation must not fail, nor a
          // decision be blamed, for that. "Busy, retry"; the host is replaced, freeing the lane.
          sent.starved = true;
          for (const other of live) if (other !== sent) other.collateral = true;
          host.stop('deadline');
          break;
        }
        if (host.lane === 'isolated' || (held && (alone || (functions.length === 1 && functions[0] === sent)))) {
          // Surely this one: it runs alone, or is the one function holding a host.
          this.pool.isolate(sent.target, 'timeout', `stopped at its ${this.pool.options.timeoutMs} ms deadline`);
          for (const other of live) if (other !== sent) other.collateral = true;
          host.stop('deadline');
          break;
        }
        // Waiting on I/O (a function), or starved on a busy machine: its caller is answered now.
        sent.abandoned = true;
        if (sent.target.runsFunctions) this.pool.isolate(sent.target, 'timeout', `no answer by its ${this.pool.options.timeoutMs} ms deadline`);
        else if (sent === oldest && this.#missedTooOften(sent.target)) {
          // Starved or costly cannot be told apart on a machine this busy. The oldest request is the
          // one the host was working on (others may wait behind it); a decision that holds its host
          // past the deadline again and again is not worth a serving host either.
          this.pool.isolate(sent.target, 'timeout', `no answer by its ${this.pool.options.timeoutMs} ms deadline ${MISSES_TO_ISOLATE} times in a row`);
        }
        host.abandon(sent.handle.id, sent.target.runsFunctions ? this.pool.timeoutError(sent.target) : busyError(this.pool.options.timeoutMs));
        if (queue.filter((s) => s.abandoned).length >= MAX_ABANDONED_PER_HOST) this.#drain(host);
      }
      // A draining host whose last request was just given up on is replaced now, not at its next answer.
      if (this.#laneOf(host).draining.has(host)) this.pool.afterChange(host);
    }
  }

  /**
   * A serving host parsing a release (a deploy, or a host started with every release to load) answers
   * nothing meanwhile, and a large release takes seconds of CPU: the evaluations waiting behind it
   * are neither runaways nor costly. Whoever passes its deadline there is told to retry, unblamed.
   */
  #behindLoad(host: EngineHostProcess, live: readonly Sent[], queue: readonly Sent[], now: number): void {
    for (const sent of live) {
      if (sent.timedOut || now < sent.deadline || !sent.target) continue;
      sent.timedOut = true;
      sent.abandoned = true;
      host.abandon(sent.handle.id, busyError(this.pool.options.timeoutMs));
    }
    if (queue.filter((s) => s.abandoned).length >= MAX_ABANDONED_PER_HOST) this.#drain(host);
  }

  /**
   * Requests have waited past the slow mark while every serving host is held (by runaways too
   * starved of CPU to be called costly, or by suspects running alone): the warm spare takes the
   * place of the host held longest, which drains (what it runs finishes or meets its deadline) and
   * is then replaced. Without this, two starved runaways hold both hosts until their deadline and
   * every other tenant's evaluation in that time is answered "retry".
   */
  #relieve(now: number): void {
    const lane = this.pool.lanes.serving;
    const waitingSince = lane.waiters[0]?.since;
    if (!lane.spare?.isReady || waitingSince === undefined || now - waitingSince <= this.pool.options.slowMs) return;
    let longest: EngineHostProcess | undefined;
    let longestSince = Infinity;
    for (const host of lane.hosts) {
      if (!host.isReady || lane.draining.has(host)) continue;
      if (host.loading) return; // parsing a release, not held: the waiters get it when it is done
      const since = lane.silentSince(host);
      if (since === undefined || now - since <= this.pool.options.slowMs) return; // a host answers: the waiters get it
      if (since < longestSince) {
        longest = host;
        longestSince = since;
      }
    }
    if (!longest) return;
    this.pool.options.logger.warn({ host: longest.name, pid: longest.pid, silentMs: now - longestSince, waiting: lane.waiters.length }, 'every serving engine host is held: the spare takes the place of the one held longest');
    this.#drain(longest);
  }

  #laneOf(host: EngineHostProcess): LaneHosts {
    return host.lane === 'serving' ? this.pool.lanes.serving : this.pool.lanes.isolated;
  }

  /** A serving host held by a runaway: stop it; tell its requests which runs again where. */
  #stopHeld(host: EngineHostProcess, live: readonly Sent[], queue: readonly Sent[]): void {
    const evaluations = live.filter((s) => s.target);
    const zombies = queue.filter((s) => s.abandoned && s.target);
    // The runaway: the only request, or the only one whose decision has no record of answering quickly.
    const unproven = evaluations.filter((s) => !this.pool.quick(s.target!));
    const culprit = zombies.length > 0 ? undefined : evaluations.length === 1 ? evaluations[0] : unproven.length === 1 ? unproven[0] : undefined;
    if (culprit) {
      culprit.moved = true;
      this.pool.isolate(culprit.target!, 'slow', `held its engine host for ${this.pool.options.slowMs} ms (VERDICT_EVAL_SLOW_MS)`);
      for (const sent of evaluations) if (sent !== culprit) sent.collateral = true;
    } else if (evaluations.length === 0 && zombies.length === 1) {
      // Given up on as starved at its deadline, it turned out to run away.
      this.pool.isolate(zombies[0]!.target!, 'timeout', 'kept its engine host busy after its deadline');
    } else {
      for (const sent of evaluations) sent.suspect = true; // each runs again alone: the runaway shows itself
    }
    host.stop('slow');
  }

  /**
   * Counts a deadline missed on a starved host: true once a decision with no record of quick
   * answers has missed it MISSES_TO_ISOLATE times in a row (starved and costly cannot be told apart
   * on a machine this busy; one that holds its host past the deadline again and again is blamed).
   * A draft's simulation or test case is a namespace of its own each time: never blamed this way.
   */
  #missedTooOften(target: EvaluationTarget): boolean {
    return !this.pool.quick(target) && this.pool.missed(target) >= MISSES_TO_ISOLATE;
  }

  /** No new work for a host that owes answers it will never deliver in time; replaced once idle. */
  #drain(host: EngineHostProcess): void {
    const lane = this.#laneOf(host);
    if (lane.draining.has(host)) return;
    lane.draining.add(host);
    if (lane.lane === 'serving') this.pool.promoteSpare(lane);
    this.pool.afterChange(host);
  }

  /**
   * Whether a host spent real CPU since `since`: a runaway evaluation does; a host starved of CPU on
   * a busy machine does not. Unknown (no /proc) counts as spent.
   */
  #costly(host: EngineHostProcess, since: number, now: number): boolean {
    const used = host.cpuSince(since);
    return used === undefined || used >= Math.max(COSTLY_MIN_CPU_MS, COSTLY_MIN_SHARE * (now - since));
  }
}
