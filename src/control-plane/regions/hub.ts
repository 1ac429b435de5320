import type { Logger } from 'pino';
import { withTimeout } from '../../db/with-timeout.js';
import { redactConnectionText } from '../../lib/redact.js';
import type { Fleet } from '../fleet/schemas.js';
import { assembleView } from './assemble.js';
import type { DrillListing, DrillReports } from './drill-reports.js';
import type { ServerProbe } from './probe.js';
import type { ClusterPicture, RegionsView } from './schemas.js';

export interface RegionsHubOptions {
  readonly probe: ServerProbe;
  readonly fleet: () => Promise<Fleet>;
  readonly drills: DrillReports | undefined;
  readonly node: RegionsView['node'];
  /** How often the picture is refreshed while anyone watches (default 2000 ms). */
  readonly intervalMs?: number;
  /** Each server must answer a probe within this, the fleet read too (default 1500 ms). */
  readonly probeTimeoutMs?: number;
  /** With no stream open and no request for this long, probing stops until the next one (default 30 s). */
  readonly idleMs?: number;
  readonly logger?: Logger | undefined;
}

type Listener = (view: RegionsView) => void;

/**
 * The one place the regions view is made. Every request and every event stream reads the same
 * cached picture; a refresh probes the servers once (one refresh at a time, shared by whoever asks
 * meanwhile) and pushes the result to every open stream. It refreshes every interval while someone
 * watches and stops when nobody has for a while, so an idle node probes nothing. A probe that
 * fails or times out keeps the last picture, marked with its age and the error.
 */
export class RegionsHub {
  readonly #options: RegionsHubOptions;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #listeners = new Set<Listener>();
  #latest: RegionsView | undefined;
  #picture: { value: ClusterPicture; at: Date } | undefined;
  #fleet: Fleet | undefined;
  #refreshing: Promise<RegionsView> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #demandedAt = 0;
  #closed = false;

  constructor(options: RegionsHubOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? 2000;
    this.#timeoutMs = options.probeTimeoutMs ?? 1500;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** The latest picture, refreshed first only when it is older than one interval. */
  async current(): Promise<RegionsView> {
    this.#demandedAt = Date.now();
    this.#schedule();
    const latest = this.#latest;
    if (latest && Date.now() - Date.parse(latest.at) < this.#intervalMs) return latest;
    return this.refresh();
  }

  /** Calls `listener` with every new picture (at once with the latest one); returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    this.#schedule();
    if (this.#latest) listener(this.#latest);
    else void this.refresh().catch(() => undefined);
    return () => {
      this.#listeners.delete(listener);
      this.#demandedAt = Date.now();
    };
  }

  /** One refresh at a time: a caller arriving meanwhile gets the one under way. */
  refresh(): Promise<RegionsView> {
    this.#refreshing ??= this.#build().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const watched = this.#listeners.size > 0 || Date.now() - this.#demandedAt < (this.#options.idleMs ?? 30_000);
      if (!watched || this.#closed) return;
      void this.refresh()
        .catch(() => undefined)
        .finally(() => this.#schedule());
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async #build(): Promise<RegionsView> {
    const { probe, fleet, drills, logger } = this.#options;
    // The probe bounds each server itself; this outer bound is for anything else that hangs.
    const [picture, nodes, listing] = await Promise.allSettled([
      withTimeout(probe.probe(this.#timeoutMs), this.#timeoutMs * 2 + 500),
      withTimeout(fleet(), this.#timeoutMs),
      drills ? drills.list() : Promise.resolve(undefined as DrillListing | undefined),
    ]);
    const now = new Date();
    if (picture.status === 'fulfilled') this.#picture = { value: picture.value, at: now };
    else logger?.warn({ err: picture.reason }, 'regions view: the probe of the database servers failed');
    if (nodes.status === 'fulfilled') this.#fleet = nodes.value;
    const view = assembleView({
      at: now,
      source: probe.source,
      sourceDetail: probe.detail,
      node: this.#options.node,
      picture: this.#picture,
      probeError: picture.status === 'rejected' ? redactConnectionText((picture.reason as Error).message) : null,
      fleet: this.#fleet,
      fleetError: nodes.status === 'rejected' ? redactConnectionText((nodes.reason as Error).message) : null,
      drills: listing.status === 'fulfilled' ? listing.value : { reports: [], error: redactConnectionText((listing.reason as Error).message) },
    });
    this.#latest = view;
    for (const listener of [...this.#listeners]) {
      try {
        listener(view);
      } catch (error) {
        logger?.warn({ err: error }, 'regions view: a listener failed');
      }
    }
    return view;
  }
}
