import type { Node } from './ast.js';
import { TokenCursor, err } from './token-cursor.js';

/** How a chain of postfix accesses combines (parser.rs tracks it; only the chain's shape). */
type Combination = 'mixed' | 'computed' | 'property' | 'inherit';

/** Postfix access after a value: `.property`, `[index]`, `[from:to]` and `.method()`. */
export abstract class PostfixParser extends TokenCursor {
  protected withPostfix(node: Node): [Node, Combination] {
    const token = this.current();
    if (!token) return [node, 'mixed'];
    let processed: Node;
    let combination: Combination;
    if (this.isBracket('[', token)) {
      processed = this.propertyAccess(node);
      combination = 'computed';
    } else if (this.isOp('.', token)) {
      processed = this.memberAccess(node);
      combination = 'property';
    } else return [node, 'inherit'];
    const [result, rest] = this.withPostfix(processed);
    return [result, combine(rest, combination)];
  }

  protected memberAccess(node: Node): Node {
    this.next();
    const property = this.current();
    this.next();
    if (!property) return err('expected a property', node);
    const valid =
      property.kind === 'identifier' ||
      property.kind === 'literal' ||
      (property.kind === 'operator' && ['and', 'or', 'not', '??', 'in'].includes(property.value));
    if (!valid) {
      this.position--;
      return err('invalid property', node);
    }
    const name = String(property.value);
    if (this.isBracket('(')) {
      // Methods exist only on dates (`d(...).add(...)`), which this compiler refuses.
      return err(`method ${name} is not supported by the compiler`);
    }
    return { k: 'member', node, property: { k: 'string', value: name } };
  }

  protected propertyAccess(node: Node): Node {
    this.next();
    let token = this.current();
    if (!token) return err('expected a property', node);
    if (this.isOp(':', token)) {
      this.next();
      token = this.current();
      if (!token) return err('unexpected token', node);
      let to: Node | undefined;
      if (!this.isBracket(']', token)) to = this.sub('global');
      const close = this.expectBracket(']');
      if (close) return close;
      return { k: 'slice', node, from: undefined, to };
    }
    const from = this.sub('global');
    token = this.current();
    if (!token) return err('unexpected token', { k: 'member', node, property: from });
    if (this.isOp(':', token)) {
      this.next();
      token = this.current();
      if (!token) return err('invalid slice syntax', node);
      let to: Node | undefined;
      if (!this.isBracket(']', token)) to = this.sub('global');
      const close = this.expectBracket(']');
      if (close) return close;
      return { k: 'slice', node, from, to };
    }
    const close = this.expectBracket(']');
    if (close) return close;
    return { k: 'member', node, property: from };
  }
}

function combine(a: Combination, b: Combination): Combination {
  if (a === 'computed' && b === 'computed') return 'computed';
  if (a === 'property' && b === 'property') return 'property';
  if (a === 'inherit') return b;
  return 'mixed';
}
