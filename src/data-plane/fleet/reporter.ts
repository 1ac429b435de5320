import type { Logger } from 'pino';
import type { DataPlane } from '../data-plane.js';
import { VERSION } from '../../version.js';

/** Which database this node reads from; 'unknown' while its replica cannot be reached. */
export type DatabaseRole = 'primary' | 'replica' | 'unknown';

/** What a node tells the fleet view about itself. */
export interface Heartbeat {
  readonly nodeId: string;
  readonly region: string;
  readonly version: string;
  readonly startedAt: Date;
  readonly heartbeatIntervalMs: number;
  readonly dbRole: DatabaseRole;
  readonly changeCounter: number | null;
  readonly reloadedAt: Date | null;
  readonly serving: readonly { environmentId: string; project: string; environment: string; releaseId: string | null; releaseLabel: string | null }[];
}

/** Where heartbeats go (the control plane's fleet table), and what the node knows of its database. */
export interface FleetLink {
  heartbeat(heartbeat: Heartbeat): Promise<void>;
  databaseRole(): DatabaseRole;
}

/**
 * Sends this node's heartbeat to the fleet table: which release it serves per environment. Best
 * effort: a node that cannot reach the primary keeps serving and simply looks stale in the view.
 */
export class FleetReporter {
  #timer: NodeJS.Timeout | undefined;
  readonly #startedAt = new Date();
  #failing = false;

  constructor(
    private readonly fleet: FleetLink,
    private readonly dataPlane: Pick<DataPlane, 'node' | 'runtime'>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  #stopped = false;

  start(): void {
    void this.#loop();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** The next beat is scheduled when this one ends: a slow primary never piles heartbeats up. */
  async #loop(): Promise<void> {
    await this.beat();
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#loop(), this.intervalMs);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    const state = this.dataPlane.runtime.state;
    const dbRole = this.fleet.databaseRole();
    try {
      await this.fleet.heartbeat({
        nodeId: this.dataPlane.node.nodeId,
        region: this.dataPlane.node.region,
        version: VERSION,
        startedAt: this.#startedAt,
        heartbeatIntervalMs: this.intervalMs,
        dbRole,
        changeCounter: state?.changeCounter ?? null,
        reloadedAt: state?.loadedAt ?? null,
        serving: [...(state?.environments.values() ?? [])].map((e) => ({
          environmentId: e.environmentId,
          project: e.projectKey,
          environment: e.environmentKey,
          releaseId: e.release?.id ?? null,
          releaseLabel: e.release?.label ?? null,
        })),
      });
      if (this.#failing) this.logger.info('fleet heartbeat delivered again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.logger.warn({ err: error }, 'cannot send the fleet heartbeat; still serving');
      this.#failing = true;
    }
  }
}
