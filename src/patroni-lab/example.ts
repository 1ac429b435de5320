import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderLabFiles } from './files.js';
import { planLab, type LabPlan } from './plan.js';
import { usualPorts } from './ports.js';

/** Where the example's files claim to live; the lab itself uses a temporary folder. */
export const EXAMPLE_ROOT = '/var/lib/verdict-patroni';

/**
 * The lab's plan with the usual ports (5432, 8008, 2379, ...: every member has an address of its
 * own) and placeholder passwords: what deploy/patroni/example/ shows, and what a test renders
 * again to make sure that folder is what the generator writes today.
 */
export function examplePlan(): Promise<LabPlan> {
  return planLab(
    {
      root: EXAMPLE_ROOT,
      pgBinDir: '/usr/lib/postgresql/15/bin',
      secrets: { superuser: 'CHANGE-ME-superuser', replication: 'CHANGE-ME-replication', rewind: 'CHANGE-ME-rewind', restApi: 'CHANGE-ME-rest-api' },
    },
    usualPorts(),
  );
}

/** The example's files, by path relative to the example folder (patroni/a1.yml, haproxy/front.cfg, ...). */
export async function exampleFiles(): Promise<Map<string, string>> {
  const plan = await examplePlan();
  return new Map(renderLabFiles(plan).map((f) => [path.relative(plan.root, f.path), f.content]));
}

/** Writes the example into `dir` (deploy/patroni/example): `npm run patroni:example`. */
export async function writeExample(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [relative, content] of await exampleFiles()) {
    const file = path.join(dir, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    written.push(relative);
  }
  return written;
}
