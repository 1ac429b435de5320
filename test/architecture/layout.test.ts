import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const MAX_LINES = 350;

/** Every .ts file under src/, relative to src/. */
function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(SRC, path.join(entry.parentPath, entry.name)));
}

/** A file's unit: its top-level folder, or the file itself for files directly in src/ (errors.ts is not server.ts). */
const unitOf = (file: string): string => file.split(path.sep)[0]!;

/** unit -> the units its files import (relative imports, type-only ones included). */
function unitGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles()) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const [, spec] of readFileSync(path.join(SRC, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), spec!)).replace(/\.js$/, '.ts');
      const to = unitOf(target);
      if (to !== from && !to.startsWith('..')) edges.add(to);
    }
  }
  return graph;
}

/** Strongly connected components with more than one unit: each is an import loop between folders. */
function loops(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (unit: string): void => {
    index.set(unit, next);
    low.set(unit, next++);
    stack.push(unit);
    onStack.add(unit);
    for (const to of graph.get(unit) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(unit, Math.min(low.get(unit)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(unit, Math.min(low.get(unit)!, index.get(to)!));
    }
    if (low.get(unit) === index.get(unit)) {
      const component: string[] = [];
      let popped: string;
      do {
        popped = stack.pop()!;
        onStack.delete(popped);
        component.push(popped);
      } while (popped !== unit);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const unit of graph.keys()) if (!index.has(unit)) visit(unit);
  return found;
}

/**
 * The layout promises of ADR 0009, checked on every run (dependency-cruiser, `npm run depcheck`,
 * checks file-level cycles and the layer rules; this checks what it cannot express).
 */
describe('source layout', () => {
  it('has no import loop between folders of src/', () => {
    expect(loops(unitGraph())).toEqual([]);
  });

  it('keeps the data plane free of the control plane', () => {
    const imported = [...(unitGraph().get('data-plane') ?? [])].sort();
    // compiled/ is pure computation (the decision compiler), below both planes.
    expect(imported.filter((unit) => !['lib', 'errors.ts', 'observability', 'version.ts', 'compiled'].includes(unit))).toEqual([]);
  });

  it('keeps the decision compiler free of everything else', () => {
    expect([...(unitGraph().get('compiled') ?? [])]).toEqual([]);
  });

  it(`keeps every source file at or under ${MAX_LINES} lines`, () => {
    const long = sourceFiles()
      .map((file) => ({ file, lines: readFileSync(path.join(SRC, file), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('finds a loop when there is one (the check is not vacuous)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(loops(graph)).toEqual([['a', 'b', 'c']]);
  });
});
