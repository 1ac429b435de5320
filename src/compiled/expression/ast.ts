import type { Dec } from '../decimal.js';

/** zen-expression's `Node` (parser/ast.rs), one variant per kind. */
export type Node =
  | { k: 'null' }
  | { k: 'bool'; value: boolean }
  | { k: 'number'; value: Dec }
  | { k: 'string'; value: string }
  | { k: 'template'; parts: Node[] }
  | { k: 'pointer' }
  | { k: 'array'; items: Node[] }
  | { k: 'object'; entries: [Node, Node][] }
  | { k: 'assignments' }
  | { k: 'identifier'; name: string }
  | { k: 'closure'; body: Node; alias: string | undefined }
  | { k: 'parenthesized'; node: Node }
  | { k: 'root' }
  | { k: 'member'; node: Node; property: Node }
  | { k: 'slice'; node: Node; from: Node | undefined; to: Node | undefined }
  | { k: 'interval'; left: Node; right: Node; leftBracket: string; rightBracket: string }
  | { k: 'conditional'; condition: Node; onTrue: Node; onFalse: Node }
  | { k: 'unary'; operator: string; node: Node }
  | { k: 'binary'; operator: string; left: Node; right: Node }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'method'; name: string; node: Node; args: Node[] }
  | { k: 'error'; message: string; node?: Node };

export function hasError(node: Node | undefined): boolean {
  if (!node) return false;
  switch (node.k) {
    case 'error':
      return true;
    case 'template':
      return node.parts.some(hasError);
    case 'array':
      return node.items.some(hasError);
    case 'object':
      return node.entries.some(([key, value]) => hasError(key) || hasError(value));
    case 'closure':
      return hasError(node.body);
    case 'parenthesized':
      return hasError(node.node);
    case 'member':
      return hasError(node.node) || hasError(node.property);
    case 'slice':
      return hasError(node.node) || hasError(node.from) || hasError(node.to);
    case 'interval':
      return hasError(node.left) || hasError(node.right);
    case 'conditional':
      return hasError(node.condition) || hasError(node.onTrue) || hasError(node.onFalse);
    case 'unary':
      return hasError(node.node);
    case 'binary':
      return hasError(node.left) || hasError(node.right);
    case 'call':
      return node.args.some(hasError);
    case 'method':
      return hasError(node.node) || node.args.some(hasError);
    default:
      return false;
  }
}

export function firstError(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  if (node.k === 'error') return node.message;
  for (const child of children(node)) {
    const found = firstError(child);
    if (found) return found;
  }
  return undefined;
}

export function children(node: Node): Node[] {
  switch (node.k) {
    case 'template':
      return node.parts;
    case 'array':
      return node.items;
    case 'object':
      return node.entries.flat();
    case 'closure':
      return [node.body];
    case 'parenthesized':
      return [node.node];
    case 'member':
      return [node.node, node.property];
    case 'slice':
      return [node.node, ...(node.from ? [node.from] : []), ...(node.to ? [node.to] : [])];
    case 'interval':
      return [node.left, node.right];
    case 'conditional':
      return [node.condition, node.onTrue, node.onFalse];
    case 'unary':
      return [node.node];
    case 'binary':
      return [node.left, node.right];
    case 'call':
      return node.args;
    case 'method':
      return [node.node, ...node.args];
    case 'error':
      return node.node ? [node.node] : [];
    default:
      return [];
  }
}
