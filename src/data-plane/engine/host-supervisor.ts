import type { HostGone } from './host-errors.js';
import { EngineHostProcess } from './host-process.js';
import type { LaneHosts } from './lane.js';
import type { EnginePoolOptions, HostQueues, NamespaceDecisions, PoolLanes } from './pool-types.js';

const RESTART_WINDOW_MS = 10_000;
const RESTARTS_BEFORE_BACKOFF = 5;
const BACKOFF_MS = 1_000;

/** What the supervisor shares with the pool it keeps staffed. */
export interface SupervisedPool {
  readonly options: EnginePoolOptions;
  readonly lanes: PoolLanes;
  readonly queues: HostQueues;
  readonly namespaces: ReadonlyMap<string, NamespaceDecisions>;
  /** Keep a started spare serving host. */
  readonly spare: boolean;
  isClosed(): boolean;
  /** A host's queue shrank (an answer to a request given up on arrived). */
  afterChange(host: EngineHostProcess): void;
}

/**
 * Keeps every lane at its size: starts hosts (loading the registered releases first), lets the
 * warm spare take a leaving host's place, and replaces hosts that exit, backing off when they
 * keep dying so a crash loop cannot eat the node's CPU.
 */
export class HostSupervisor {
  constructor(private readonly pool: SupervisedPool) {}

  spawn(lane: LaneHosts, asSpare = false): void {
    if (this.pool.isClosed()) return;
    const host = new EngineHostProcess(
      lane.lane,
      // The spare waits on the isolated lane's CPU, the least busy one; it moves when it takes over.
      asSpare ? this.pool.lanes.isolated.cpus[0] : lane.nextCpu(),
      { allowHosts: this.pool.options.allowHosts, functionTimeoutMs: Math.max(10, Math.floor(this.pool.options.timeoutMs * 0.8)) },
      {
        onHttp: (calls) => this.pool.options.events?.http?.(calls),
        onExit: (gone, why) => this.#onExit(lane, gone, why),
        onWarm: (warm) => {
          if (warm !== lane.spare) lane.wake();
        },
        onAnswer: (answering, id) => {
          const queue = this.pool.queues.get(answering);
          const at = queue?.findIndex((q) => q.abandoned && q.handle.id === id) ?? -1;
          if (at < 0) return;
          queue!.splice(at, 1);
          this.pool.afterChange(answering);
        },
      },
      this.pool.options.logger,
    );
    if (asSpare) lane.spare = host;
    else lane.hosts.push(host);
    // Serving hosts hold every registered release, sent before anything else reaches them.
    const loads: Promise<void>[] = [];
    if (lane.lane === 'serving') for (const [ns, decisions] of this.pool.namespaces) if (!ns.startsWith('sim:')) loads.push(host.ensureLoaded(ns, () => decisions));
    host.warmUp([host.ready, ...loads]);
  }

  /** The spare takes a leaving host's place at once (its CPU too, when pinned). */
  promoteSpare(lane: LaneHosts): void {
    const spare = lane.spare;
    if (!spare?.isReady) return;
    lane.spare = undefined;
    spare.moveTo(lane.nextCpu());
    lane.hosts.push(spare);
    lane.wake();
    if (!this.pool.isClosed()) this.spawn(lane, true);
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
    const live = (this.pool.queues.get(host) ?? []).filter((s) => !s.abandoned && s.target);
    if (gone.stoppedFor === undefined && live.length > 1) for (const sent of live) sent.suspect = true;
    this.pool.queues.delete(host);
    if (this.pool.isClosed() || gone.stoppedFor === 'shutdown') return;
    const reason = gone.stoppedFor ?? gone.exit;
    lane.restartCount++;
    lane.lastRestart = { at: new Date().toISOString(), reason };
    this.pool.options.events?.restart?.(lane.lane, reason);
    if (gone.stoppedFor === undefined) this.pool.options.logger.error({ host: host.name, pid: host.pid, exit: gone.exit }, 'engine host died; starting another');
    else this.pool.options.logger.warn({ host: host.name, pid: host.pid, reason }, 'engine host stopped; starting another');
    if (!wasSpare && !drained && lane.lane === 'serving') this.promoteSpare(lane);
    // Replaced at once, unless hosts keep dying (then once a second: a crash loop must not eat the node's CPU).
    const now = Date.now();
    lane.restarts.push(now);
    while (lane.restarts.length > 0 && lane.restarts[0]! < now - RESTART_WINDOW_MS) lane.restarts.shift();
    const refill = () => {
      while (lane.hosts.length < lane.size) this.spawn(lane);
      if (lane.lane === 'serving' && this.pool.spare && !lane.spare) this.spawn(lane, true);
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
