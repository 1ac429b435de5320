import { type VMap, Interval } from '../values.js';
import type { Node } from './ast.js';
import { BUILTINS, displayValue, toBool } from './builtins.js';
import { ORDER_FREE_CLOSURES, ORDER_FREE_CONSUMERS, ORDER_KEEPING_CLOSURES, aliasDepth, closureCall, pointer } from './closures.js';
import { type Evaluator, type Frame, type Scope, Unsupported } from './evaluator.js';
import { compileFastPath, compileSlice, memberPath, fetch } from './member-access.js';
import { asBool, binaryOperator, unaryOperator } from './operators.js';
import { parseStandard, parseUnary } from './parser.js';
import { engineError } from '../errors.js';
import { Dec } from '../decimal.js';

/**
 * ZEN expressions compiled to JavaScript closures over our own AST: no user text is ever
 * evaluated as code. Each closure reproduces what zen-expression's compiler emits and its VM
 * runs (compiler/compiler.rs, vm/vm.rs) for the same node: the same type checks (an error where
 * the VM errors), null where the VM pushes null, and the same short-circuits.
 */

export { type Evaluator, type Frame, Unsupported };

export function compileStandard(source: string): Evaluator {
  const parsed = parseStandard(source);
  if (!parsed.ok) throw new Unsupported(`cannot parse ${JSON.stringify(source)}: ${parsed.reason}`);
  return compileNode(parsed.node, { aliases: [], orderFree: false });
}

/** A unary test: true, false, or an error when the value is not a boolean (ValueCastError). */
export function compileUnary(source: string): Evaluator {
  const parsed = parseUnary(source);
  if (!parsed.ok) throw new Unsupported(`cannot parse unary ${JSON.stringify(source)}: ${parsed.reason}`);
  return compileNode(parsed.node, { aliases: [], orderFree: false });
}

function compileNode(node: Node, scope: Scope): Evaluator {
  const sub = (n: Node, orderFree = false): Evaluator => compileNode(n, orderFree ? { ...scope, orderFree: true } : { ...scope, orderFree: false });
  switch (node.k) {
    case 'null':
      return () => null;
    case 'bool': {
      const v = node.value;
      return () => v;
    }
    case 'number': {
      const v = node.value;
      return () => v;
    }
    case 'string': {
      const v = node.value;
      return () => v;
    }
    case 'pointer':
      return pointer(0);
    case 'root':
      return (f) => f.env;
    case 'identifier': {
      const depth = aliasDepth(scope, node.name);
      if (depth !== undefined) return pointer(depth);
      const name = node.name;
      return (f) => {
        const env = f.env;
        if (env instanceof Map) return env.get(name) ?? null;
        if (env === null) return null;
        return engineError('FetchEnv: unsupported type');
      };
    }
    case 'parenthesized':
      return compileNode(node.node, scope);
    case 'array': {
      const items = node.items.map((n) => sub(n));
      return (f) => items.map((item) => item(f));
    }
    case 'object': {
      const entries = node.entries.map(([k, v]) => [sub(k), sub(v)] as const);
      return (f) => {
        const out: VMap = new Map();
        for (const [key, value] of entries) {
          const k = displayValue(key(f));
          out.set(k, value(f));
        }
        return out;
      };
    }
    case 'template': {
      const parts = node.parts.map((n) => sub(n));
      return (f) => {
        let s = '';
        for (const part of parts) s += displayValue(part(f));
        return s;
      };
    }
    case 'member': {
      const path = memberPath(node, scope);
      if (path) return compileFastPath(path);
      const target = sub(node.node);
      const property = sub(node.property);
      return (f) => fetch(target(f), property(f));
    }
    case 'slice': {
      const target = sub(node.node);
      const to = node.to ? sub(node.to) : undefined;
      return compileSlice(target, node.from ? sub(node.from) : undefined, to);
    }
    case 'interval': {
      const left = sub(node.left);
      const right = sub(node.right);
      const lb = node.leftBracket as Interval['leftBracket'];
      const rb = node.rightBracket as Interval['rightBracket'];
      if (!['[', '(', ']'].includes(lb) || ![']', ')', '['].includes(rb)) throw new Unsupported(`interval brackets ${lb} ${rb}`);
      return (f) => {
        const a = left(f);
        const b = right(f);
        if (a instanceof Dec && b instanceof Dec) return new Interval(a, b, lb, rb);
        return engineError('Interval: unsupported type');
      };
    }
    case 'conditional': {
      const condition = sub(node.condition);
      const onTrue = sub(node.onTrue);
      const onFalse = sub(node.onFalse);
      return (f) => (asBool(condition(f), 'JumpIfFalse') ? onTrue(f) : onFalse(f));
    }
    case 'unary':
      return unaryOperator(node.operator, sub(node.node));
    case 'binary':
      return compileBinary(node.operator, node.left, node.right, scope);
    case 'call':
      return compileCall(node.name, node.args, scope);
    case 'closure':
      throw new Unsupported('a closure outside of a closure function');
    case 'assignments':
    case 'method':
    case 'error':
      throw new Unsupported(`${node.k} is not supported`);
  }
}

function compileBinary(operator: string, leftNode: Node, rightNode: Node, scope: Scope): Evaluator {
  const left = compileNode(leftNode, { ...scope, orderFree: false });
  const inRight = operator === 'in' || operator === 'not in';
  const right = compileNode(rightNode, { ...scope, orderFree: inRight });
  return binaryOperator(operator, left, right);
}

function compileCall(name: string, args: Node[], scope: Scope): Evaluator {
  const builtin = BUILTINS.get(name);
  if (builtin) {
    if (args.length < builtin.min || args.length > builtin.max) throw new Unsupported(`${name} with ${args.length} arguments`);
    const orderFreeArgs = ORDER_FREE_CONSUMERS.has(name);
    const compiled = args.map((a, i) => compileNode(a, { ...scope, orderFree: orderFreeArgs && i === 0 }));
    const orderFree = scope.orderFree;
    const call = builtin.call;
    if (compiled.length === 1) {
      const a0 = compiled[0]!;
      return (f) => call([a0(f)], orderFree);
    }
    return (f) => call(compiled.map((c) => c(f)), orderFree);
  }
  if (ORDER_FREE_CLOSURES.has(name) || ORDER_KEEPING_CLOSURES.has(name)) return compileClosureCall(name, args, scope);
  throw new Unsupported(`function ${name} is not supported by the compiler`);
}

function compileClosureCall(name: string, args: Node[], scope: Scope): Evaluator {
  const [listNode, closureNode] = args;
  if (args.length !== 2 || !listNode || closureNode?.k !== 'closure') throw new Unsupported(`${name} without a closure`);
  const listOrderFree = ORDER_FREE_CLOSURES.has(name) || scope.orderFree;
  const list = compileNode(listNode, { ...scope, orderFree: listOrderFree });
  const body = compileNode(closureNode.body, { aliases: [...scope.aliases, closureNode.alias], orderFree: false });
  return closureCall(name, list, body);
}

export { toBool };
