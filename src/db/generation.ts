import type { Queryable } from './connect.js';

/**
 * The cluster generation a server holds, or null before the migration that creates the table.
 * Two statements: a query naming a missing table fails at parse time even inside a CASE.
 */
export async function readGeneration(q: Queryable, knownPresent = false): Promise<number | null> {
  if (!knownPresent) {
    const [present] = await q<{ present: boolean }[]>`SELECT to_regclass('cluster_state') IS NOT NULL AS present`;
    if (!present?.present) return null;
  }
  const [row] = await q<{ generation: number }[]>`SELECT generation FROM cluster_state`;
  return row ? Number(row.generation) : null;
}

/** Promotion step: the new primary's generation becomes one more than any seen. */
export async function bumpGeneration(q: Queryable, by: string, note: string): Promise<number> {
  const [row] = await q<{ generation: number }[]>`
    UPDATE cluster_state SET generation = generation + 1, changed_at = now(), changed_by = ${by}, note = ${note} RETURNING generation`;
  return Number(row!.generation);
}

/**
 * Reads generations, asking whether the table exists only until it has been seen once: every
 * write reads the generation, and the extra round trip is for fresh databases only.
 */
export class GenerationReader {
  #tableSeen = false;

  async read(q: Queryable): Promise<number | null> {
    const generation = await readGeneration(q, this.#tableSeen);
    if (generation !== null) this.#tableSeen = true;
    return generation;
  }
}
