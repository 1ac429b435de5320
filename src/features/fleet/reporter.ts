import type { Logger } from 'pino';
import type { DataPlane } from '../evaluation/data-plane.js';
import type { Services } from '../../services.js';
import { VERSION } from '../../version.js';

/**
 * Sends this node's heartbeat to the fleet table: which release it serves per environment. Best
 * effort: a node that cannot reach the primary keeps serving and simply looks stale in the view.
 */
export class FleetReporter {
  #timer: NodeJS.Timeout | undefined;
  readonly #startedAt = new Date();
  #failing = false;

  constructor(
    private readonly services: Services,
    private readonly dataPlane: DataPlane,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async beat(): Promise<void> {
    const state = this.dataPlane.runtime.state;
    const database = this.services.db.status();
    const dbRole = database.reader ? (database.reader.standby ? 'replica' : 'primary') : 'primary';
    try {
      await this.services.fleet.heartbeat({
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
