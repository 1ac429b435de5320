import type { CatalogEntry, ServedToken } from '../sync/serving-source.js';
import type { Metrics } from '../../observability/metrics.js';
import type { CompiledRelease } from './compiled-release.js';
import type { EnginePool } from '../engine/engine-pool.js';
import type { EvaluatorMode } from './evaluators.js';

export interface ServedEnvironment {
  readonly projectKey: string;
  readonly environmentKey: string;
  readonly environmentId: string;
  /** Null when nothing is deployed there yet. */
  readonly release: CompiledRelease | null;
  readonly deployedAt: Date | null;
}

/** An immutable view of everything a node serves; requests read it once, so a swap is atomic. */
export interface RuntimeState {
  readonly changeCounter: number;
  readonly loadedAt: Date;
  /** `${project}/${environment}` -> environment */
  readonly environments: ReadonlyMap<string, ServedEnvironment>;
  readonly projects: ReadonlySet<string>;
  /** token hash -> environment */
  readonly tokens: ReadonlyMap<string, ServedEnvironment>;
}

export const envKey = (project: string, environment: string): string => `${project}/${environment}`;

/**
 * What this node serves, in memory. `install` swaps in a new state in one assignment and retires
 * compiled releases nobody serves any more (once their in-flight requests finish).
 */
export class EvaluationRuntime {
  #state: RuntimeState | undefined;
  readonly #releases = new Map<string, CompiledRelease>();

  constructor(
    readonly engine: EnginePool,
    private readonly metrics: Metrics,
    /** VERDICT_EVALUATOR: compiled JavaScript where proven equal (auto), always (compiled), or zen-engine only. */
    readonly evaluatorMode: EvaluatorMode = 'auto',
  ) {}

  get state(): RuntimeState | undefined {
    return this.#state;
  }

  hasRelease(id: string): boolean {
    return this.#releases.has(id);
  }

  addRelease(release: CompiledRelease): void {
    this.#releases.set(release.id, release);
  }

  /** Releases compiled on this node (for health and fleet reporting). */
  releaseIds(): string[] {
    return [...this.#releases.keys()];
  }

  install(changeCounter: number, catalog: readonly CatalogEntry[], tokens: readonly ServedToken[]): RuntimeState {
    const environments = new Map<string, ServedEnvironment>();
    const byId = new Map<string, ServedEnvironment>();
    const projects = new Set<string>();
    for (const entry of catalog) {
      const release = entry.releaseId ? this.#releases.get(entry.releaseId) : undefined;
      if (entry.releaseId && !release) throw new Error(`release ${entry.releaseId} must be compiled before it is installed`);
      const served: ServedEnvironment = {
        projectKey: entry.projectKey,
        environmentKey: entry.environmentKey,
        environmentId: entry.environmentId,
        release: release ?? null,
        deployedAt: entry.deployedAt,
      };
      environments.set(envKey(entry.projectKey, entry.environmentKey), served);
      byId.set(entry.environmentId, served);
      projects.add(entry.projectKey);
    }
    const tokenMap = new Map<string, ServedEnvironment>();
    for (const t of tokens) {
      const served = byId.get(t.environmentId);
      if (served) tokenMap.set(t.tokenHash, served);
    }
    const previous = this.#state;
    this.#state = Object.freeze({ changeCounter, loadedAt: new Date(), environments, projects, tokens: tokenMap });
    this.#retireUnused();
    this.#updateGauges(previous);
    return this.#state;
  }

  #retireUnused(): void {
    const inUse = new Set<string>();
    for (const served of this.#state?.environments.values() ?? []) if (served.release) inUse.add(served.release.id);
    for (const [id, release] of this.#releases) {
      if (inUse.has(id)) continue;
      this.#releases.delete(id);
      release.retire(() => this.engine.unregister(release.namespace));
    }
  }

  #updateGauges(previous: RuntimeState | undefined): void {
    for (const served of previous?.environments.values() ?? []) {
      if (served.release) this.metrics.releaseServed.remove({ project: served.projectKey, environment: served.environmentKey, release: served.release.label });
    }
    for (const served of this.#state?.environments.values() ?? []) {
      if (served.release) this.metrics.releaseServed.set({ project: served.projectKey, environment: served.environmentKey, release: served.release.label }, 1);
    }
    this.metrics.changeCounter.set(this.#state?.changeCounter ?? 0);
  }
}
