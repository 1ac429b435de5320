import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared JDM corpus, read in place (never copied into the project). */
export const CORPUS_DIR = process.env.VERDICT_JDM_CORPUS ?? path.resolve(fileURLToPath(new URL('../../../shared/jdm-corpus', import.meta.url)));

export function corpusFiles(folder: 'graphs' | 'engine-cases'): string[] {
  return readdirSync(path.join(CORPUS_DIR, folder)).filter((f) => f.endsWith('.json')).sort();
}

export function readCorpus<T = any>(folder: 'graphs' | 'engine-cases', file: string): T {
  return JSON.parse(readFileSync(path.join(CORPUS_DIR, folder, file), 'utf8')) as T;
}

export const corpusPath = (folder: 'graphs' | 'engine-cases', file?: string): string =>
  file ? path.join(CORPUS_DIR, folder, file) : path.join(CORPUS_DIR, folder);
