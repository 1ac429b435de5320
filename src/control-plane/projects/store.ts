import type { Queryable } from '../../db/connect.js';
import type { Project } from './schemas.js';

interface ProjectRow extends Omit<Project, 'createdAt'> {
  createdAt: Date;
}

const toProject = (r: ProjectRow): Project => ({ ...r, createdAt: r.createdAt.toISOString() });

export async function insertProject(q: Queryable, p: { key: string; name: string; createdBy: string }): Promise<Project> {
  const [row] = await q<ProjectRow[]>`
    INSERT INTO projects (key, name, created_by) VALUES (${p.key}, ${p.name}, ${p.createdBy})
    RETURNING id, key, name, created_at, created_by`;
  return toProject(row!);
}

export async function findProject(q: Queryable, key: string): Promise<Project | undefined> {
  const [row] = await q<ProjectRow[]>`SELECT id, key, name, created_at, created_by FROM projects WHERE key = ${key}`;
  return row && toProject(row);
}

export async function listProjects(q: Queryable): Promise<Project[]> {
  const rows = await q<ProjectRow[]>`SELECT id, key, name, created_at, created_by FROM projects ORDER BY key`;
  return rows.map(toProject);
}

/** Row lock serialising per-project sequences (release numbers). */
export async function lockProject(q: Queryable, id: string): Promise<void> {
  await q`SELECT 1 FROM projects WHERE id = ${id} FOR UPDATE`;
}
