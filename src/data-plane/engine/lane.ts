import type { EngineHostProcess, Lane } from './host-process.js';

/** One evaluation target: a decision of a loaded namespace (a release, or a simulation's draft). */
export interface EvaluationTarget {
  readonly ns: string;
  readonly key: string;
  /** Names the decision in logs, health and errors: `project/environment/key@release`. */
  readonly label: string;
  /** Runs function-node code (itself or through a sub-decision): gated, and never run twice. */
  readonly runsFunctions: boolean;
}

/** A request sent to a host and not answered yet. */
export interface Sent {
  readonly target: EvaluationTarget | undefined; // undefined: an expression check or a load check
  readonly host: EngineHostProcess;
  readonly handle: { id: number };
  readonly sentAt: number;
  readonly deadline: number;
  /** Runs alone on its host: a suspect being told apart from the others (see EnginePool). */
  readonly exclusive: boolean;
  timedOut: boolean;
  /** Timed out on an isolated host starved of CPU: answered "busy, retry", nobody blamed. */
  starved: boolean;
  /** Found to be the runaway one: it runs again in the isolated lane. */
  moved: boolean;
  /** Its host was stopped with several requests running: it runs again, alone, to tell which. */
  suspect: boolean;
  /** Its host was stopped because of another request, known to be the cause: it runs again at once. */
  collateral: boolean;
  /** Its caller has been answered; it leaves the queue when the host answers or goes. */
  abandoned: boolean;
}

export interface Waiter {
  readonly exclusive: boolean;
  /** When it started waiting (the watchdog gives the spare to waiters kept waiting too long). */
  readonly since: number;
  /** Takes the host: queues the request on it at once, so nobody else can take its room meanwhile. */
  claim(host: EngineHostProcess): void;
  timer: NodeJS.Timeout;
}

export interface LaneStatus {
  readonly hosts: number;
  /** Process ids of the lane's hosts (the spare not included). */
  readonly pids: readonly number[];
  readonly spareReady: boolean;
  readonly ready: number;
  /** Requests sent to the lane's hosts and not answered yet. */
  readonly queued: number;
  /** Requests waiting for room on a host. */
  readonly waiting: number;
  /** Hosts with work that have answered nothing for the slow mark (they get no more work). */
  readonly held: number;
  /** Hosts parsing a release (a deploy, or a host starting): evaluations sent to them wait for it. */
  readonly loading: number;
  readonly restarts: number;
  readonly lastRestart: { readonly at: string; readonly reason: string } | null;
}

/**
 * Requests sent to one serving host ahead of time. Sent together, a host's evaluations share zen's
 * wake-ups and the node's writes are coalesced; a bound keeps a stopped host's suspects few.
 */
export const MAX_QUEUE_PER_HOST = 16;
/** A host silent this long with requests running is passed over while another has room. */
const HELD_AFTER_MS = 50;

/**
 * The hosts of one lane and what each runs. The serving lane pipelines requests to its hosts; the
 * isolated lane runs one request per host at a time (it holds the suspects: what it runs must be
 * told apart exactly). Requests wait here when no host has room.
 */
export class LaneHosts {
  readonly hosts: EngineHostProcess[] = [];
  readonly waiters: Waiter[] = [];
  readonly restarts: number[] = [];
  /**
   * A started host holding every release, kept out of service: when a host is stopped it takes
   * its place at once, so requests do not wait for a process to start (the serving lane has one).
   */
  spare: EngineHostProcess | undefined;
  /** Hosts that get no new work: they are replaced once what they run is done. */
  readonly draining = new Set<EngineHostProcess>();
  /**
   * Hosts kept for a request that must run alone: they get no new work, and the request takes
   * them once what they run is done (a busy lane's hosts are never idle on their own).
   */
  readonly reserved = new Map<EngineHostProcess, Waiter>();
  restartCount = 0;
  lastRestart: { at: string; reason: string } | null = null;
  respawnTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly lane: Lane,
    readonly size: number,
    /** CPU of each host slot (hosts are pinned to one CPU each where possible). */
    readonly cpus: readonly (number | undefined)[],
    readonly queues: Map<EngineHostProcess, Sent[]>,
    /** The slow mark: a host silent this long with work is held, and gets no more (see `pick`). */
    readonly slowMs: number,
  ) {}

  queue(host: EngineHostProcess): Sent[] {
    let queue = this.queues.get(host);
    if (!queue) this.queues.set(host, (queue = []));
    return queue;
  }

  /**
   * The time since which a host has answered nothing while it has work (undefined: idle). Requests
   * are pipelined, so the oldest one sent, or the last answer if later, marks the start.
   */
  silentSince(host: EngineHostProcess): number | undefined {
    const queue = this.queues.get(host);
    if (!queue || queue.length === 0) return undefined;
    return Math.max(host.lastReplyAt, Math.min(...queue.map((s) => s.sentAt)));
  }

  /**
   * Hosts that take shared work: ready, not draining or kept, and not running a request alone.
   * Requests that must run alone never take the last of them (see `pick` and `reserve`), so one
   * tenant's suspects cannot hold every serving host while other tenants wait.
   */
  #open(): EngineHostProcess[] {
    return this.hosts.filter((h) => h.isReady && !this.draining.has(h) && !this.reserved.has(h) && !(this.queues.get(h) ?? []).some((q) => q.exclusive));
  }

  /**
   * The ready host with the least work that can take a request. An exclusive request (and any in
   * the isolated lane) needs an idle host, and leaves one host of the serving lane to the others;
   * others skip hosts running one and hosts held past the slow mark (they wait instead, for an
   * answer or for the spare), and avoid hosts that seem held: silent for a while, or running
   * function code (it may wait on I/O, holding zen).
   */
  pick(exclusive: boolean): EngineHostProcess | undefined {
    const alone = exclusive || this.lane === 'isolated';
    if (exclusive && this.lane === 'serving' && this.hosts.length > 1 && this.#open().length < 2) return undefined;
    let best: EngineHostProcess | undefined;
    let bestLoad = Infinity;
    const now = Date.now();
    for (const host of this.hosts) {
      if (!host.isReady || this.draining.has(host) || this.reserved.has(host)) continue;
      const queue = this.queues.get(host) ?? [];
      if (alone ? queue.length > 0 : queue.length >= MAX_QUEUE_PER_HOST || queue.some((q) => q.exclusive)) continue;
      const silent = queue.length > 0 ? now - Math.max(queue[0]!.sentAt, host.lastReplyAt) : 0;
      if (!alone && silent > this.slowMs) continue;
      const held = silent > HELD_AFTER_MS;
      const load = queue.length + (held || queue.some((q) => q.target?.runsFunctions) ? MAX_QUEUE_PER_HOST : 0);
      if (load < bestLoad) {
        best = host;
        bestLoad = load;
      }
    }
    return best;
  }

  /**
   * Keeps the least busy host for an exclusive waiter (see `reserved`); false when no host can be
   * kept now (then it waits, and `wake` tries again).
   */
  reserve(waiter: Waiter): boolean {
    const open = this.#open();
    // One host stays for everyone else unless it is the only one.
    if (this.hosts.length > 1 && open.length < 2) return false;
    let best: EngineHostProcess | undefined;
    for (const host of open) if (!best || (this.queues.get(host)?.length ?? 0) < (this.queues.get(best)?.length ?? 0)) best = host;
    if (!best) return false;
    this.reserved.set(best, waiter);
    return true;
  }

  /** Forgets a waiter's reservation (it gave up, or its host went away). */
  unreserve(waiter: Waiter): void {
    for (const [host, w] of this.reserved) if (w === waiter) this.reserved.delete(host);
  }

  /** Room opened (a request finished, a host became ready): the longest waiters that fit go first. */
  wake(): void {
    for (const [host, waiter] of this.reserved) {
      if (!host.isReady || (this.queues.get(host)?.length ?? 0) > 0) continue;
      this.reserved.delete(host);
      const at = this.waiters.indexOf(waiter);
      if (at >= 0) this.waiters.splice(at, 1);
      clearTimeout(waiter.timer);
      waiter.claim(host);
    }
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i]!;
      const host = this.pick(waiter.exclusive);
      if (!host) {
        if (waiter.exclusive && ![...this.reserved.values()].includes(waiter)) this.reserve(waiter);
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.claim(host);
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
      pids: this.hosts.map((h) => h.pid).filter((pid): pid is number => pid !== undefined),
      spareReady: this.spare?.isReady ?? false,
      ready: this.hosts.filter((h) => h.isReady).length,
      queued: this.hosts.reduce((sum, h) => sum + (this.queues.get(h)?.length ?? 0), 0),
      waiting: this.waiters.length,
      held: this.hosts.filter((h) => {
        if (h.loading) return false;
        const since = this.silentSince(h);
        return since !== undefined && Date.now() - since > this.slowMs;
      }).length,
      loading: this.hosts.filter((h) => h.loading).length,
      restarts: this.restartCount,
      lastRestart: this.lastRestart,
    };
  }
}
