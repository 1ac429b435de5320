import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** The folders under src/ that each folder's files import (relative imports only). */
function folderImports(folder: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(path.join(SRC, folder), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec!)).split(path.sep);
      if (target.length > 1 && target[0] !== folder) found.add(target[0]!);
    }
  }
  return found;
}

/**
 * DR faces a topology, not a lab: topology <- dr <- drill -> lab -> topology, and chaos on top.
 * A folder never imports one above it, so none imports another in a loop.
 */
describe('DR folder dependencies', () => {
  const forbidden: Record<string, readonly string[]> = {
    'pg-admin': ['topology', 'dr', 'lab', 'drill', 'chaos'],
    topology: ['dr', 'lab', 'drill', 'chaos'],
    dr: ['lab', 'drill', 'chaos'],
    lab: ['dr', 'drill', 'chaos'],
    drill: ['chaos'],
  };
  for (const [folder, above] of Object.entries(forbidden)) {
    it(`src/${folder} imports none of ${above.join(', ')}`, () => {
      expect([...folderImports(folder)].filter((f) => above.includes(f))).toEqual([]);
    });
  }
});
