import type { Node } from './ast.js';
import { err } from './token-cursor.js';
import { PostfixParser } from './postfix-parser.js';

/** Literals with structure: quoted strings, template strings, arrays and objects. */
export abstract class LiteralParser extends PostfixParser {
  protected simpleString(): Node {
    const quote = this.current()!;
    this.next();
    const literal = this.current();
    const errorLiteral = this.expect((t) => t.kind === 'literal', 'string');
    const errorEnd = this.expect((t) => t.kind === 'quote' && quote.kind === 'quote' && t.value === quote.value, 'quote');
    if (errorLiteral) return errorLiteral;
    if (errorEnd) return errorEnd;
    return { k: 'string', value: literal!.kind === 'literal' ? literal!.value : '' };
  }

  protected template(): Node {
    this.next();
    let token = this.current();
    if (!token) return err('expected backtick');
    const parts: Node[] = [];
    while (!(token.kind === 'quote' && token.value === '`')) {
      if (token.kind === 'templateStart') {
        this.next();
        parts.push(this.sub('global'));
        const error = this.expect((t) => t.kind === 'templateEnd', '}');
        if (error) parts.push(error);
      } else if (token.kind === 'templateEnd') this.next();
      else if (token.kind === 'literal') {
        parts.push({ k: 'string', value: token.value });
        this.next();
      } else return err('unexpected token in template string');
      const now = this.current();
      if (!now) break;
      token = now;
    }
    const error = this.expect((t) => t.kind === 'quote' && t.value === '`', 'backtick');
    if (error) return error;
    return { k: 'template', parts };
  }

  protected array(): Node {
    this.next();
    const items: Node[] = [];
    while (!this.isBracket(']')) {
      if (this.isDone()) return err('unterminated array');
      if (items.length > 0) {
        const comma = this.expectOp(',');
        if (comma) return comma;
        if (this.isBracket(']')) break;
      }
      items.push(this.sub('global'));
    }
    const close = this.expectBracket(']');
    if (close) return close;
    return this.withPostfix({ k: 'array', items })[0];
  }

  protected object(): Node {
    this.next();
    const entries: [Node, Node][] = [];
    if (this.isBracket('}')) {
      this.next();
      return { k: 'object', entries };
    }
    for (;;) {
      const key = this.objectKey();
      const colon = this.expectOp(':');
      if (colon) return colon;
      const value = this.sub('global');
      entries.push([key, value]);
      const token = this.current();
      if (!token) break;
      if (this.isOp(',', token)) {
        this.next();
      } else if (this.isBracket('}', token)) break;
      else return err('invalid object syntax');
    }
    const close = this.expectBracket('}');
    if (close) entries.push([{ k: 'null' }, close]);
    return { k: 'object', entries };
  }

  protected objectKey(): Node {
    const token = this.current();
    if (!token) return err('expected an object key');
    switch (token.kind) {
      case 'identifier':
        this.next();
        return { k: 'string', value: token.value };
      case 'boolean':
        this.next();
        return { k: 'string', value: String(token.value) };
      case 'number':
      case 'literal':
        this.next();
        return { k: 'string', value: token.value };
      case 'bracket': {
        if (token.value !== '[') return err('operator is not supported as object key');
        this.next();
        const key = this.sub('global');
        const close = this.expectBracket(']');
        if (close) return close;
        return key;
      }
      case 'quote':
        if (token.value === '`') return err('template string as object key');
        return this.simpleString();
      default:
        return err('unsupported object key');
    }
  }

}
