import type { Catalog, CatalogRequest, ChangeWatch, ServedDecision, ServingSource } from '../../data-plane/sync/serving-source.js';
import { PrimaryChangeWatch } from './change-watch.js';
import type { Services } from '../services.js';
import { environmentCatalog } from './catalog.js';

/** Change events a node reads at most per reload (only their times matter: propagation delay). */
const MAX_CHANGES = 10_000;

/**
 * What a node serves, read from PostgreSQL (its replica when healthy): the catalog, the contents of
 * releases the node has not compiled, the token hashes and the change counter, all in one
 * REPEATABLE READ snapshot, so a replica half-way through replaying a deploy can never hand over a
 * release without its decisions.
 */
export class DatabaseServingSource implements ServingSource {
  constructor(private readonly services: Pick<Services, 'db' | 'changes' | 'releases' | 'evaluationTokens'>) {}

  counter(): Promise<number> {
    return this.services.changes.counter();
  }

  async read(request: CatalogRequest): Promise<Catalog> {
    const { db, changes, releases, evaluationTokens } = this.services;
    return (await db.read.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
      const entries = await environmentCatalog(tx);
      const contents = new Map<string, ServedDecision[]>();
      for (const { releaseId } of entries) {
        if (releaseId && !contents.has(releaseId) && request.needsContents(releaseId)) contents.set(releaseId, await releases.contents(tx, releaseId));
      }
      return {
        counter: await changes.counter(tx),
        generation: await db.generation(tx),
        entries,
        contents,
        tokens: await evaluationTokens.active(tx),
        changes: request.changesSince === undefined ? [] : await changes.eventsAfter(tx, request.changesSince, MAX_CHANGES),
      };
    })) as Catalog;
  }

  observeGeneration(generation: number): void {
    this.services.db.observeGeneration(generation);
  }

  resetConnections(): void {
    this.services.db.resetPools();
  }

  watch(onChange: (counter: number) => void): ChangeWatch {
    return new PrimaryChangeWatch(this.services.db, onChange, undefined);
  }
}
