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

/**
 * Graphs whose expected outputs depend on the clock (see the corpus README): tests compare them
 * with zen-engine run in-process at the same moment, without the listed fields, which change with it.
 */
export const CLOCK_DEPENDENT: Readonly<Record<string, readonly string[]>> = {
  'auto-insurance-premium-calculator.json': [],
  'dynamic-shipping-cost-calculator.json': ['currentSeason', 'finalPrice'],
  'insurance-prior-authorization.json': ['timestamp'],
  'last-mile-delivery-assignment.json': ['assignmentDetails.estimatedArrival'],
  'seller-approval-workflow.json': ['approvalDate'],
};

/** A copy of `value` without the dotted `paths` (the clock-dependent fields). */
export function withoutPaths(value: any, paths: readonly string[]): any {
  const copy = structuredClone(value);
  for (const path of paths) {
    const parts = path.split('.');
    let target = copy;
    for (const part of parts.slice(0, -1)) target = target?.[part];
    if (target && typeof target === 'object') delete target[parts.at(-1)!];
  }
  return copy;
}
