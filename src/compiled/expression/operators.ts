import * as D from '../decimal.js';
import { Dec } from '../decimal.js';
import { engineError } from '../errors.js';
import { Interval, type Value } from '../values.js';
import { scalarEquals } from './builtins.js';
import { type Evaluator, Unsupported } from './evaluator.js';

/* The VM's operator opcodes (vm/vm.rs) as closures: the same type checks, errors and short-circuits. */

export function asBool(v: Value, what: string): boolean {
  return typeof v === 'boolean' ? v : engineError(`${what}: unsupported type`);
}

function num2(a: Value, b: Value, what: string): [Dec, Dec] {
  if (a instanceof Dec && b instanceof Dec) return [a, b];
  return engineError(`${what}: unsupported type`);
}

/** VM Equal: same-type scalars only; arrays, objects and intervals are never equal. */
function vmEqual(a: Value, b: Value): boolean {
  if (a instanceof Dec) return b instanceof Dec && D.equals(a, b);
  if (typeof a === 'boolean' || typeof a === 'string') return a === b;
  return a === null && b === null;
}

function intervalIncludes(i: Interval, v: Dec): boolean {
  let open = false;
  let first: boolean;
  const l = D.compare(i.left, v);
  const r = D.compare(i.right, v);
  switch (i.leftBracket) {
    case '(':
      first = l < 0;
      break;
    case '[':
      first = l <= 0;
      break;
    case ']':
      open = true;
      first = l >= 0;
      break;
  }
  let second: boolean;
  switch (i.rightBracket) {
    case ')':
      second = r > 0;
      break;
    case ']':
      second = r >= 0;
      break;
    case '[':
      second = r <= 0;
      break;
  }
  return open ? first || second : first && second;
}

/** The VM's In opcode. */
function vmIn(a: Value, b: Value): boolean {
  if (Array.isArray(b)) {
    if (a instanceof Dec || typeof a === 'string' || typeof a === 'boolean' || a === null) return b.some((item) => scalarEquals(a, item));
    return engineError('In: unsupported type');
  }
  if (a instanceof Dec && b instanceof Interval) return intervalIncludes(b, a);
  if (typeof a === 'string' && b instanceof Map) return b.has(a);
  return engineError('In: unsupported type');
}

/** `left op right` over compiled operands (the caller compiles the right side of `in` order-free). */
export function binaryOperator(operator: string, left: Evaluator, right: Evaluator): Evaluator {
  switch (operator) {
    case '==':
      return (f) => vmEqual(left(f), right(f));
    case '!=':
      return (f) => !vmEqual(left(f), right(f));
    case 'or':
      return (f) => (asBool(left(f), 'JumpIfTrue') ? true : right(f));
    case 'and':
      return (f) => (asBool(left(f), 'JumpIfFalse') ? right(f) : false);
    case '??':
      return (f) => {
        const a = left(f);
        return a !== null ? a : right(f);
      };
    case 'in':
      return (f) => vmIn(left(f), right(f));
    case 'not in':
      return (f) => !vmIn(left(f), right(f));
    case '<':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) < 0;
    case '<=':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) <= 0;
    case '>':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) > 0;
    case '>=':
      return (f) => D.compare(...num2(left(f), right(f), 'Compare')) >= 0;
    case '+':
      return (f) => {
        const a = left(f);
        const b = right(f);
        if (a instanceof Dec && b instanceof Dec) return D.add(a, b);
        if (typeof a === 'string' && typeof b === 'string') return a + b;
        return engineError('Add: unsupported type');
      };
    case '-':
      return (f) => D.subtract(...num2(left(f), right(f), 'Subtract'));
    case '*':
      return (f) => D.multiply(...num2(left(f), right(f), 'Multiply'));
    case '/':
      return (f) => D.divide(...num2(left(f), right(f), 'Divide')) ?? null;
    case '%':
      return (f) => D.remainder(...num2(left(f), right(f), 'Modulo'));
    case '^':
      return (f) => D.power(...num2(left(f), right(f), 'Exponent')) ?? engineError('Exponent: failed');
    default:
      throw new Unsupported(`binary operator ${operator}`);
  }
}

export function unaryOperator(operator: string, inner: Evaluator): Evaluator {
  switch (operator) {
    case '+':
      return inner;
    case '-':
      return (f) => {
        const v = inner(f);
        return v instanceof Dec ? D.negate(v) : engineError('Negate: unsupported type');
      };
    case 'not':
      return (f) => !asBool(inner(f), 'Not');
    default:
      throw new Unsupported(`unary operator ${operator}`);
  }
}
