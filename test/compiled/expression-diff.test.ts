import { evaluateExpression } from '@gorules/zen-engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EngineError, EnginePanic, EngineWouldCrash, FAILURE, NotSure, lastFailureReason } from '../../src/compiled/errors.js';
import { Unsupported, compileStandard } from '../../src/compiled/expression/compile.js';
import { fromJson, toJson } from '../../src/compiled/values.js';
import { type Outcome, caseBudget, engineOutcome, numberArb, sameOutcome } from './differential.js';

/**
 * The ZEN expression language alone: generated expressions over a generated context, compiled
 * vs zen-engine's `evaluateExpression` (async, so an engine panic is an error, as in decisions).
 * VERDICT_DIFF_CASES scales it too (a quarter of the corpus budget by default).
 */

const CASES = Math.ceil(caseBudget(100_000) / 4);
const SEED = Number(process.env.VERDICT_DIFF_SEED ?? Date.now() % 2 ** 31);

const ident = fc.constantFrom('a', 'b', 'c', 's', 't', 'arr', 'strs', 'obj', 'n', 'missing', 'obj.x', 'obj.y', 'arr[0]', 'strs[1]', 'obj.z.w', 'flag');
const literal = fc.oneof(
  fc.constantFrom('0', '1', '2', '10', '0.1', '0.2', '0.3', '1.5', '3', '7', '100', '1000', '0.05', '12.345', '1_000', '1e3', '2.50', '1e-3'),
  fc.constantFrom("'a'", "'abc'", '"b c"', "''", "'10'", "' 5 '", "'x'", 'true', 'false', 'null'),
);

const { expr } = fc.letrec<{ expr: string; atom: string }>((tie) => ({
  atom: fc.oneof({ weight: 3, arbitrary: ident }, { weight: 3, arbitrary: literal }),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: tie('atom') },
    {
      weight: 4,
      arbitrary: fc
        .tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '%', '^', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', '??', 'in', 'not in'), tie('expr'))
        .map(([l, op, r]) => `${l} ${op} ${r}`),
    },
    { weight: 1, arbitrary: tie('expr').map((e) => `(${e})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('-', 'not ', '!'), tie('atom')).map(([op, e]) => `${op}${e}`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, t, f]) => `${c} ? ${t} : ${f}`) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('len', 'upper', 'lower', 'trim', 'abs', 'floor', 'ceil', 'round', 'trunc', 'sum', 'avg', 'min', 'max', 'median', 'mode', 'string', 'number', 'bool', 'type', 'isNumeric', 'flatten', 'keys', 'values'),
          tie('expr'),
        )
        .map(([f, e]) => `${f}(${e})`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('contains', 'startsWith', 'endsWith', 'split', 'round', 'trunc'), tie('expr'), tie('expr'))
        .map(([f, a, b]) => `${f}(${a}, ${b})`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('map', 'filter', 'some', 'all', 'none', 'one', 'count', 'flatMap'), fc.constantFrom('arr', 'strs', '[1, 2, 3]', '[1..4]', '(0..3]', 'obj', 'n', '[]'), fc.constantFrom('# > 1', '# == "a"', '# * 2', '#', 'len(#)', '# + 1', 'true', '# in [1, 3]', 'string(#)'))
        .map(([f, list, body]) => `${f}(${list}, ${body})`),
    },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `[${a}, ${b}]`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `{ k: ${a}, 'l': ${b} }`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `\`${'${'}${a}} and ${'${'}${b}}\``) },
    { weight: 1, arbitrary: fc.tuple(tie('atom'), fc.constantFrom('[1..10]', '(1..10)', '[0..0.5)', ']1..5[', '[a..b]')).map(([a, i]) => `${a} in ${i}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('arr', 's', 'strs', 't'), fc.constantFrom('[0:1]', '[1:]', '[:2]', '[1:1]', '[2:0]', '[0]', '[5]', '[1.5]')).map(([a, i]) => `${a}${i}`) },
  ),
}));

/** Mostly well-typed arithmetic, so that values (not only type errors) get compared. */
const { num } = fc.letrec<{ num: string }>((tie) => ({
  num: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: fc.constantFrom('a', 'b', 'obj.x', '0', '1', '2', '3', '0.1', '0.2', '0.3', '1.5', '7', '100', '0.07', '12.345', '1_000', '2.50') },
    { weight: 4, arbitrary: fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/', '*', '/', '%', '^'), tie('num')).map(([l, op, r]) => `(${l} ${op} ${r})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('abs', 'floor', 'ceil', 'round', 'trunc', 'number'), tie('num')).map(([f, e]) => `${f}(${e})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('round', 'trunc'), tie('num'), fc.constantFrom('0', '1', '2', '5')).map(([f, e, d]) => `${f}(${e}, ${d})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('sum', 'avg', 'min', 'max', 'median', 'mode'), tie('num'), tie('num')).map(([f, x, y]) => `${f}([${x}, ${y}, 1])`) },
    { weight: 1, arbitrary: tie('num').map((e) => `-${e}`) },
    { weight: 1, arbitrary: fc.tuple(tie('num'), fc.constantFrom('<', '>', '==', '>=')).map(([e, op]) => `(${e} ${op} 1 ? ${e} : 2)`) },
  ),
}));
const typed = fc.oneof(
  num,
  num.map((e) => `string(${e})`),
  fc.tuple(num, num).map(([x, y]) => `\`${'${'}${x}}|${'${'}${y}}\``),
  fc.tuple(num, fc.constantFrom('<', '<=', '>', '>=', '==', '!='), num).map(([x, op, y]) => `${x} ${op} ${y}`),
);

const contextArb = fc.record({
  a: numberArb,
  b: numberArb,
  c: fc.oneof(numberArb, fc.constant(null), fc.string({ maxLength: 3 })),
  s: fc.oneof(fc.constantFrom('abc', '', 'a', 'héllo', ' 5 ', '1e3', 'true', '12.50', 'x y'), fc.string({ maxLength: 5 })),
  t: fc.constantFrom('10', '0.5', '-3', 'abc', '1_000', '', ' 7 ', '1E2', '.5', '5.'),
  arr: fc.array(fc.oneof(numberArb, fc.constant(null), fc.constantFrom('a', 'b')), { maxLength: 4 }),
  strs: fc.array(fc.constantFrom('a', 'b', 'ab', ''), { maxLength: 3 }),
  obj: fc.record({ x: numberArb, y: fc.constantFrom('a', 'b', '') }),
  n: fc.constant(null),
  flag: fc.boolean(),
});

function compiledOutcome(source: string, context: unknown): Outcome | 'refused' {
  let run;
  try {
    run = compileStandard(source);
  } catch (error) {
    if (error instanceof Unsupported) return 'refused';
    throw error;
  }
  try {
    return { kind: 'result', value: toJson(run({ env: fromJson(context), scopes: [] })) };
  } catch (error) {
    if (error === FAILURE) return { kind: 'error', message: lastFailureReason() };
    if (error instanceof EngineError || error instanceof EnginePanic) return { kind: 'error', message: error.message };
    if (error instanceof NotSure) return { kind: 'notSure', why: error.message };
    if (error instanceof EngineWouldCrash) return { kind: 'crash', why: error.message };
    throw error;
  }
}

describe('compiled ZEN expressions', () => {
  it('evaluate as zen-engine does: 0.1 + 0.2, division, display of numbers', async () => {
    const cases: [string, unknown][] = [
      ['0.1 + 0.2', {}],
      ['0.1 + 0.2 == 0.3', {}],
      ['1 / 3', {}],
      ['1 / 3 * 3', {}],
      ['2 / 3 + 10', {}],
      ['x / y * 100', { x: 123456789.123, y: 7 }],
      ['string(1.5 * 2)', {}],
      ['string(x)', { x: 4294967296 }],
      ['string(x / 4)', { x: 10 }],
      ['5 % 0', {}],
      ['1 / 0', {}],
      ['x + 1', { x: 1e-29 }],
      ['`${a} ${b}`', { a: 1.5, b: null }],
      ['len("héllo")', {}],
      ['"abc"[1]', {}],
      ['a ?? 0 + 1', { a: 2 }],
      ['-x ^ 2', { x: 3 }],
      ['2 ^ -2', {}],
      ['round(2.5) + round(-2.5) + round(1.2345, 2)', {}],
      ['median([1, 2, 3, 4])', {}],
      ['mode([1, 1.0, 2, 2])', {}],
    ];
    for (const [source, context] of cases) {
      const mine = compiledOutcome(source, context);
      const zen = await engineOutcome(() => evaluateExpression(source, context));
      expect(mine === 'refused' || mine.kind === 'notSure' || sameOutcome(mine, zen), `${source} ${JSON.stringify(context)}: ${JSON.stringify(mine)} vs ${JSON.stringify(zen)}`).toBe(true);
    }
  });

  it(`answer generated expressions as zen-engine does (${CASES} cases, seed ${SEED})`, async () => {
    const samples = fc.sample(fc.tuple(fc.oneof(expr, typed), contextArb), { numRuns: CASES, seed: SEED });
    let same = 0;
    let refused = 0;
    let notSure = 0;
    let skipped = 0;
    let values = 0;
    const differences: unknown[] = [];
    for (let i = 0; i < samples.length; i += 64) {
      const chunk = samples.slice(i, i + 64);
      const mine = chunk.map(([source, context]) => compiledOutcome(source, context));
      const zen = await Promise.all(
        chunk.map(([source, context], j) => {
          const m = mine[j]!;
          // An integer result >= 2^64 aborts the process in napi: never ask the engine for one.
          if (m === 'refused' || m.kind === 'crash' || m.kind === 'notSure') return undefined;
          return engineOutcome(() => evaluateExpression(source, context));
        }),
      );
      chunk.forEach(([source, context], j) => {
        const m = mine[j]!;
        if (m === 'refused') refused++;
        else if (m.kind === 'notSure') notSure++;
        else if (m.kind === 'crash') skipped++;
        else if (sameOutcome(m, zen[j]!)) {
          same++;
          if (m.kind === 'result') values++;
        }
        else differences.push({ source, context, compiled: m, engine: zen[j] });
      });
    }
    console.log(`expressions (seed ${SEED}): ${samples.length} cases, ${same} equal (${values} values, ${same - values} errors on both sides), ${refused} refused at compile time, ${notSure} NotSure, ${skipped} engine aborts predicted, ${differences.length} differences`);
    for (const d of differences.slice(0, 8)) console.log(JSON.stringify(d).slice(0, 1500));
    expect(differences).toEqual([]);
  });
});
