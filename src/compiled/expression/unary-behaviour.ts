import type { Node } from './ast.js';

/** UnaryNodeBehaviour: compare `$` with the cell (`==` or `in`), or use the cell as a boolean. */
export function unaryBehaviour(node: Node): '==' | 'in' | 'boolean' {
  switch (node.k) {
    case 'null':
    case 'root':
    case 'bool':
    case 'number':
    case 'string':
    case 'template':
    case 'object':
    case 'assignments':
    case 'identifier':
    case 'member':
      return '==';
    case 'pointer':
    case 'closure':
    case 'error':
      return 'boolean';
    case 'array':
    case 'slice':
    case 'interval':
      return 'in';
    case 'conditional': {
      const a = unaryBehaviour(node.onTrue);
      return a === unaryBehaviour(node.onFalse) ? a : '==';
    }
    case 'unary':
      return unaryBehaviour(node.node);
    case 'parenthesized':
      return unaryBehaviour(node.node);
    case 'binary': {
      if (['+', '-', '*', '/', '%', '^'].includes(node.operator)) {
        const a = unaryBehaviour(node.left);
        return a === unaryBehaviour(node.right) ? a : '==';
      }
      return 'boolean';
    }
    case 'call':
      return CALL_BEHAVIOUR[node.name] ?? '==';
    case 'method':
      return '==';
  }
}

const CALL_BEHAVIOUR: Record<string, '==' | 'in' | 'boolean'> = {
  flatten: 'in',
  merge: 'in',
  mergeDeep: 'in',
  extract: 'in',
  split: 'in',
  keys: 'in',
  values: 'in',
  contains: 'boolean',
  startsWith: 'boolean',
  endsWith: 'boolean',
  matches: 'boolean',
  isNumeric: 'boolean',
  all: 'boolean',
  some: 'boolean',
  none: 'boolean',
  one: 'boolean',
  filter: 'in',
  map: 'in',
  flatMap: 'in',
  count: '==',
};
