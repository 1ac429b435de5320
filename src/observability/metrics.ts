import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type EvaluationOutcome = 'ok' | 'engine_error' | 'timeout' | 'not_found' | 'unauthorized' | 'forbidden' | 'bad_request' | 'unavailable';

/** Prometheus instruments for one node. One registry per app so tests can run several apps. */
export class Metrics {
  readonly registry = new Registry();

  readonly evaluations = new Counter({
    name: 'verdict_evaluations_total',
    help: 'Evaluations by project, environment, decision and outcome (batch items count one each)',
    labelNames: ['project', 'environment', 'decision', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly evaluationDuration = new Histogram({
    name: 'verdict_evaluation_duration_seconds',
    help: 'Time to evaluate one request (a whole batch counts once), from token check to result',
    labelNames: ['project', 'environment'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly releaseServed = new Gauge({
    name: 'verdict_release_served',
    help: '1 for the release each environment serves on this node',
    labelNames: ['project', 'environment', 'release'] as const,
    registers: [this.registry],
  });

  readonly reloads = new Counter({
    name: 'verdict_reloads_total',
    help: 'Runtime reloads after a change counter move, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly propagationDelay = new Histogram({
    name: 'verdict_propagation_delay_seconds',
    help: 'From a change committing (change event time) to this node serving it',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly changeCounter = new Gauge({
    name: 'verdict_change_counter',
    help: 'The change counter value this node serves',
    registers: [this.registry],
  });

  /** Set by the sync loop: when the serving state was last confirmed current. */
  lastSyncAt: () => Date | undefined = () => undefined;

  readonly syncAge = new Gauge({
    name: 'verdict_sync_age_seconds',
    help: 'Seconds since this node last confirmed its serving state is current (polled the database)',
    registers: [this.registry],
    collect: () => {
      const at = this.lastSyncAt();
      this.syncAge.set(at ? (Date.now() - at.getTime()) / 1000 : -1);
    },
  });

  readonly outboundHttp = new Counter({
    name: 'verdict_function_http_requests_total',
    help: 'Outbound HTTP calls made by function nodes, allowed or denied',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly engineRestarts = new Counter({
    name: 'verdict_engine_host_restarts_total',
    help: 'Engine host processes replaced, by lane and reason (deadline: stopped at an evaluation deadline; else how it died)',
    labelNames: ['lane', 'reason'] as const,
    registers: [this.registry],
  });

  readonly evaluationLimits = new Counter({
    name: 'verdict_evaluation_limits_total',
    help: 'Evaluations that hit a bound: slow (moved to the isolated lane), timeout (stopped at the deadline), crash (an engine host died)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  /** Set by the data plane: engine lanes and isolated decisions, read at scrape time. */
  engineStatus: () => { ready: Record<string, number>; isolated: number } = () => ({ ready: {}, isolated: 0 });

  readonly engineHostsReady: Gauge<'lane'> = new Gauge({
    name: 'verdict_engine_hosts_ready',
    help: 'Engine host processes ready to evaluate, by lane',
    labelNames: ['lane'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [lane, ready] of Object.entries(this.engineStatus().ready)) this.engineHostsReady.set({ lane }, ready);
    },
  });

  readonly decisionsIsolated: Gauge = new Gauge({
    name: 'verdict_decisions_isolated',
    help: 'Decisions currently evaluated in the isolated engine lane (they were slow, timed out or crashed a host)',
    registers: [this.registry],
    collect: (): void => this.decisionsIsolated.set(this.engineStatus().isolated),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
