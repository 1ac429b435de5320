import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusCandidates } from './corpus-location.js';

/** The shared JDM corpus, read in place (see corpus-location.ts for where it is looked for). */
export const CORPUS_DIR = findCorpus();

function findCorpus(): string {
  const candidates = corpusCandidates(fileURLToPath(new URL('../..', import.meta.url)));
  const found = candidates.find((c) => existsSync(path.join(c, 'graphs')));
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
