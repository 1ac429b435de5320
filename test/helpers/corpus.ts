import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared JDM corpus, read in place (never copied into the project): VERDICT_JDM_CORPUS, else
 * ../shared/jdm-corpus next to the checkout, else the workplace's /work/shared/jdm-corpus.
 */
export const CORPUS_DIR = findCorpus();

function findCorpus(): string {
  const candidates = [
    process.env.VERDICT_JDM_CORPUS,
    fileURLToPath(new URL('../../../shared/jdm-corpus', import.meta.url)),
    '/work/shared/jdm-corpus',
  ].filter((c): c is string => Boolean(c));
  const found = candidates.map((c) => path.resolve(c)).find((c) => existsSync(path.join(c, 'graphs')));
  if (!found) throw new Error(`JDM corpus not found (looked in ${candidates.join(', ')}); set VERDICT_JDM_CORPUS`);
  return found;
}

export function corpusFiles(folder: 'graphs' | 'engine-cases'): string[] {
  return readdirSync(path.join(CORPUS_DIR, folder)).filter((f) => f.endsWith('.json')).sort();
}

export function readCorpus<T = any>(folder: 'graphs' | 'engine-cases', file: string): T {
  return JSON.parse(readFileSync(path.join(CORPUS_DIR, folder, file), 'utf8')) as T;
}

export const corpusPath = (folder: 'graphs' | 'engine-cases', file?: string): string =>
  file ? path.join(CORPUS_DIR, folder, file) : path.join(CORPUS_DIR, folder);
