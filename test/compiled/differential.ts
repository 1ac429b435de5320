import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { EngineError, EngineWouldCrash, NotSure } from '../../src/compiled/index.js';

/**
 * Shared parts of the differential tests: what the compiled form answered, how it compares with
 * zen-engine, and contexts generated from the fields a graph reads.
 */

export type Outcome = { kind: 'result'; value: unknown } | { kind: 'error'; message: string } | { kind: 'notSure'; why: string } | { kind: 'crash'; why: string };

export function compiledOutcome(run: () => unknown): Outcome {
  try {
    return { kind: 'result', value: run() };
  } catch (error) {
    if (error instanceof EngineError) return { kind: 'error', message: error.message };
    if (error instanceof NotSure) return { kind: 'notSure', why: error.message };
    if (error instanceof EngineWouldCrash) return { kind: 'crash', why: error.message };
    throw error;
  }
}

export async function engineOutcome(run: () => Promise<unknown> | unknown): Promise<Outcome> {
  try {
    return { kind: 'result', value: await run() };
  } catch (error) {
    return { kind: 'error', message: String((error as Error)?.message ?? error).split('\n')[0]! };
  }
}

/** Equal answers: the same JSON (key order aside), or both an error. */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.kind === 'error' && b.kind === 'error') return true;
  return a.kind === 'result' && b.kind === 'result' && isDeepStrictEqual(normalise(a.value), normalise(b.value));
}

function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

export interface Tally {
  cases: number;
  same: number;
  notSure: number;
  crashPredicted: number;
  differences: { graph: string; context: unknown; compiled: Outcome; engine: Outcome }[];
}

export const newTally = (): Tally => ({ cases: 0, same: 0, notSure: 0, crashPredicted: 0, differences: [] });

/** Edge values for numbers: kept within what the engine can hold without aborting its process. */
export const numberArb = fc.oneof(
  fc.constantFrom(0, 1, -1, 0.1, 0.2, 0.3, 0.5, 2.5, 100, 1000, 999999.99, 1e-7, 123456.789, -0.01, 1e12, 2 ** 53 - 1),
  fc.integer({ min: -1000, max: 100_000 }),
  fc.integer({ min: -100_000_000, max: 100_000_000 }).map((n) => n / 100),
  fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }),
);

/** Every identifier path an expression text mentions (`customer.age`, `items`), roughly. */
export function pathsIn(text: string): string[] {
  const withoutStrings = text.replace(/'[^']*'|"[^"]*"/g, ' ');
  const found = withoutStrings.match(/[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/g) ?? [];
  return found.filter((p) => !RESERVED.has(p.split('.')[0]!));
}

export function stringsIn(text: string): string[] {
  return [...text.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2] ?? '');
}

const RESERVED = new Set([
  'and', 'or', 'not', 'in', 'true', 'false', 'null', 'as', 'len', 'contains', 'flatten', 'merge', 'upper', 'lower', 'trim', 'startsWith',
  'endsWith', 'matches', 'split', 'abs', 'sum', 'avg', 'min', 'max', 'median', 'mode', 'floor', 'ceil', 'round', 'trunc', 'isNumeric',
  'string', 'number', 'bool', 'type', 'keys', 'values', 'all', 'none', 'some', 'one', 'filter', 'map', 'flatMap', 'count', 'date', 'time',
]);

/** The texts of a JDM graph that read the context: cells, fields, expressions, conditions. */
export function graphTexts(graph: any): string[] {
  const texts: string[] = [];
  for (const node of graph.nodes ?? []) {
    const c = node.content ?? {};
    if (c.inputField) texts.push(c.inputField);
    for (const e of c.expressions ?? []) texts.push(e.value);
    for (const s of c.statements ?? []) texts.push(s.condition);
    for (const i of c.inputs ?? []) if (i.field) texts.push(i.field);
    for (const r of c.rules ?? []) for (const [k, v] of Object.entries(r)) if (!k.startsWith('_') && typeof v === 'string') texts.push(v);
  }
  return texts;
}

/**
 * Contexts for a graph: a corpus input (or an empty object) with some of the paths the graph
 * reads set to edge values: nulls, missing keys, numbers as strings, huge and tiny numbers,
 * the strings the graph compares with, empty and small arrays.
 */
export function contextArb(graph: any, seeds: unknown[]): fc.Arbitrary<unknown> {
  const texts = graphTexts(graph);
  const paths = [...new Set(texts.flatMap(pathsIn))].filter((p) => !p.startsWith('$'));
  const strings = [...new Set(texts.flatMap(stringsIn))];
  const stringArb = strings.length > 0 ? fc.oneof(fc.constantFrom(...strings), fc.string({ maxLength: 6 })) : fc.string({ maxLength: 6 });
  const leaf: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 4, arbitrary: numberArb },
    { weight: 3, arbitrary: stringArb },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: numberArb.map((n) => String(n)) },
  );
  const value: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 8, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(leaf, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(fc.dictionary(fc.constantFrom(...(paths.map((p) => p.split('.').at(-1)!).concat('x'))), leaf, { maxKeys: 4 }), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant('__missing__') },
  );
  const seedArb = seeds.length > 0 ? fc.constantFrom(...seeds) : fc.constant({});
  const changes = paths.length > 0 ? fc.array(fc.tuple(fc.constantFrom(...paths), value), { maxLength: 6 }) : fc.constant([] as [string, unknown][]);
  return fc.tuple(seedArb, changes).map(([seed, edits]) => {
    const context = structuredClone(seed ?? {}) as Record<string, unknown>;
    for (const [path, v] of edits) setPath(context, path, v);
    return context;
  });
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let head: any = target;
  for (const part of parts.slice(0, -1)) {
    if (head[part] === null || typeof head[part] !== 'object' || Array.isArray(head[part])) head[part] = {};
    head = head[part];
  }
  const last = parts.at(-1)!;
  if (value === '__missing__') delete head[last];
  else head[last] = value;
}

/** VERDICT_DIFF_CASES: generated cases in total across a test file. */
export function caseBudget(defaultCases: number): number {
  const raw = process.env.VERDICT_DIFF_CASES;
  if (!raw) return defaultCases;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`VERDICT_DIFF_CASES must be a whole number, not ${raw}`);
  return n;
}
