import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { corpusCandidates } from '../helpers/corpus-location.js';

const IMPORT = /from\s+'(\.{1,2}\/[^']+)'/g;

/** Test files that read the JDM corpus, directly or through the helpers they import. */
export function corpusTestFiles(root: string): string[] {
  const corpusHelper = path.join(root, 'test/helpers/corpus.ts');
  const memo = new Map<string, boolean>();
  const readsCorpus = (file: string): boolean => {
    if (file === corpusHelper) return true;
    const known = memo.get(file);
    if (known !== undefined) return known;
    memo.set(file, false); // import cycles end here
    const source = readFileSync(file, 'utf8');
    const found = [...source.matchAll(IMPORT)].some(([, spec]) => {
      const target = path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.ts'));
      return target.startsWith(path.join(root, 'test')) && existsSync(target) && readsCorpus(target);
    });
    memo.set(file, found);
    return found;
  };
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts') && readsCorpus(full)) files.push(path.relative(root, full));
    }
  };
  walk(path.join(root, 'test'));
  return files.sort();
}

/**
 * The corpus is a third-party collection kept outside this repository (CI provides it). Without
 * it, the files that need it are left out and the run says so, rather than failing on a missing
 * folder; `.ci/run` refuses to run without it, so CI never skips them.
 */
export function excludedWithoutCorpus(root: string): string[] {
  if (corpusCandidates(root).some((dir) => existsSync(path.join(dir, 'graphs')))) return [];
  const files = corpusTestFiles(root);
  process.stderr.write(
    `\nJDM corpus not found (looked in ${corpusCandidates(root).join(', ')}): set VERDICT_JDM_CORPUS to run the ${files.length} test files that need it:\n${files.map((f) => `  skipped ${f}`).join('\n')}\n\n`,
  );
  return files;
}
