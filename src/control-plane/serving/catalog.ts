import type { Queryable } from '../../db/connect.js';
import type { CatalogEntry } from '../../data-plane/sync/serving-source.js';

/** Every environment of every project and the release deployed there: what evaluating nodes serve. */
export async function environmentCatalog(q: Queryable): Promise<CatalogEntry[]> {
  return q<CatalogEntry[]>`
    SELECT e.id AS environment_id, e.key AS environment_key, p.key AS project_key,
           d.release_id, r.label AS release_label, r.content_hash AS release_hash,
           d.id AS deployment_id, d.created_at AS deployed_at
    FROM environments e
    JOIN projects p ON p.id = e.project_id
    LEFT JOIN LATERAL (SELECT id, release_id, created_at FROM deployments WHERE environment_id = e.id ORDER BY id DESC LIMIT 1) d ON true
    LEFT JOIN releases r ON r.id = d.release_id
    ORDER BY p.key, e.key`;
}
