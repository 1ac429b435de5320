import { parseDecimal, withNumber } from '../decimal.js';
import { NotSure } from '../errors.js';
import { type Node, hasError, firstError } from './ast.js';
import { type Token, tokenize, LexerError } from './lexer.js';
import { FUNCTION_NAMES } from './function-names.js';
import { LiteralParser } from './literal-parser.js';
import { type Context, err } from './token-cursor.js';
import { unaryBehaviour } from './unary-behaviour.js';

/**
 * The ZEN expression parser, ported from zen-expression 0.54 (parser/parser.rs, standard.rs,
 * unary.rs): a Pratt parser that records errors as nodes and backtracks out of intervals. Both
 * flavours: standard (expressions) and unary (decision-table cells tested against `$`). The
 * grammar is here; token navigation, postfix access and literals are the layers beneath it
 * (token-cursor, postfix-parser, literal-parser).
 */

const BINARY: Record<string, { precedence: number; right?: true }> = {
  or: { precedence: 10 },
  and: { precedence: 15 },
  '==': { precedence: 20 },
  '!=': { precedence: 20 },
  '<': { precedence: 20 },
  '>': { precedence: 20 },
  '<=': { precedence: 20 },
  '>=': { precedence: 20 },
  'not in': { precedence: 20 },
  in: { precedence: 20 },
  '+': { precedence: 30 },
  '-': { precedence: 30 },
  '*': { precedence: 60 },
  '/': { precedence: 60 },
  '%': { precedence: 60 },
  '^': { precedence: 70, right: true },
  '??': { precedence: 80 },
};
const UNARY: Record<string, number> = { not: 50, '+': 200, '-': 200 };
const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=', 'in', 'not in']);

export type ParseResult = { ok: true; node: Node } | { ok: false; reason: string };

export function parseStandard(source: string): ParseResult {
  return run(source, 'standard');
}

export function parseUnary(source: string): ParseResult {
  return run(source, 'unary');
}

function run(source: string, flavour: 'standard' | 'unary'): ParseResult {
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (error) {
    if (error instanceof LexerError) return { ok: false, reason: `lexer: ${error.message}` };
    throw error;
  }
  try {
    const parser = new Parser(tokens, flavour);
    const node = flavour === 'standard' ? parser.binary(0, 'global') : parser.unaryRoot();
    if (!parser.isDone()) return { ok: false, reason: 'incomplete parser output' };
    if (hasError(node)) return { ok: false, reason: firstError(node) ?? 'parser error' };
    return { ok: true, node };
  } catch (error) {
    if (error instanceof NotSure) return { ok: false, reason: error.message };
    throw error;
  }
}

class Parser extends LiteralParser {
  private depth = 0;
  private readonly hasRange: boolean;

  constructor(
    tokens: Token[],
    private readonly flavour: 'standard' | 'unary',
  ) {
    super(tokens);
    this.hasRange = tokens.some((t) => t.kind === 'operator' && t.value === '..');
  }

  protected sub(ctx: Context): Node {
    return this.binary(0, ctx);
  }

  // ---- standard.rs / unary.rs binary_expression ----
  binary(precedence: number, ctx: Context): Node {
    let left = this.unaryExpression();
    let token = this.current();
    while (token && token.kind === 'operator') {
      if (this.isDone()) break;
      const operator = token.value;
      if (this.flavour === 'unary' && ctx === 'global' && (operator === ',' || operator === 'and' || operator === 'or')) break;
      const op = BINARY[operator];
      if (!op) break;
      if (op.precedence < precedence) break;
      this.next();
      const right = this.binary(op.right ? op.precedence : op.precedence + 1, 'global');
      left = { k: 'binary', operator, left, right };
      token = this.current();
      if (!token) break;
    }
    if (precedence === 0) {
      const conditional = this.conditional(left);
      if (conditional) left = conditional;
    }
    return left;
  }

  private unaryExpression(): Node {
    const token = this.current();
    if (!token) {
      if (this.flavour === 'unary') return this.literal();
      return err('unexpected end of unary expression');
    }
    if (this.depth > 0 && token.kind === 'identifier' && token.value === '#') {
      this.next();
      return this.withPostfix({ k: 'pointer' })[0];
    }
    if (token.kind === 'operator') {
      const precedence = UNARY[token.value];
      if (precedence === undefined) return err(`unexpected operator ${token.value}`);
      this.next();
      const node = this.binary(precedence, 'global');
      return { k: 'unary', operator: token.value, node };
    }
    const interval = this.interval();
    if (interval) return interval;
    if (this.isBracket('(')) {
      this.next();
      const inner = this.binary(0, 'global');
      const error = this.expectBracket(')');
      if (error) return error;
      return this.withPostfix({ k: 'parenthesized', node: inner })[0];
    }
    return this.literal();
  }

  private conditional(condition: Node): Node | undefined {
    if (!this.isOp('?')) return undefined;
    this.next();
    const onTrue = this.sub('global');
    const error = this.expectOp(':');
    if (error) return error;
    const onFalse = this.sub('global');
    return { k: 'conditional', condition, onTrue, onFalse };
  }

  // ---- unary.rs root ----
  unaryRoot(): Node {
    let left = this.expressionPair();
    while (!this.isDone()) {
      const token = this.current()!;
      let join: string;
      if (this.isOp('and', token)) join = 'and';
      else if (this.isOp('or', token) || this.isOp(',', token)) join = 'or';
      else return err(`invalid join operator`);
      this.next();
      const right = this.expressionPair();
      left = { k: 'binary', operator: join, left, right };
    }
    return left;
  }

  private expressionPair(): Node {
    const ROOT: Node = { k: 'identifier', name: '$' };
    let left: Node = ROOT;
    const token = this.current();
    if (!(token?.kind === 'operator' && COMPARISONS.has(token.value))) left = this.binary(0, 'global');
    const now = this.current();
    if (now?.kind === 'operator' && COMPARISONS.has(now.value)) {
      this.next();
      const right = this.binary(0, 'global');
      return { k: 'binary', operator: now.value, left, right };
    }
    const behaviour = unaryBehaviour(left);
    if (behaviour === 'boolean') return { k: 'call', name: 'bool', args: [left] };
    return { k: 'binary', operator: behaviour, left: ROOT, right: left };
  }

  // ---- parser.rs ----
  private interval(): Node | undefined {
    if (!this.hasRange) return undefined;
    const open = this.current();
    if (open?.kind !== 'bracket') return undefined;
    const start = this.position;
    this.next();
    const left = this.sub('global');
    if (hasError(left)) {
      this.position = start;
      return undefined;
    }
    if (this.expectOp('..')) {
      this.position = start;
      return undefined;
    }
    const right = this.sub('global');
    if (hasError(right)) {
      this.position = start;
      return undefined;
    }
    const close = this.current();
    if (close?.kind !== 'bracket') {
      this.position = start;
      return undefined;
    }
    this.next();
    return this.withPostfix({ k: 'interval', left, right, leftBracket: open.value, rightBracket: close.value })[0];
  }

  private literal(): Node {
    const token = this.current();
    if (!token) return err('expected a literal');
    switch (token.kind) {
      case 'identifier':
        if (token.value === 'null') {
          this.next();
          return { k: 'null' };
        }
        return this.identifier();
      case 'literal':
        return this.identifier();
      case 'boolean':
        this.next();
        return { k: 'bool', value: token.value };
      case 'number': {
        const value = parseDecimal(token.value);
        if (!value) return err(`invalid number ${token.value}`);
        this.next();
        return { k: 'number', value: withNumber(value) };
      }
      case 'quote':
        return token.value === '`' ? this.template() : this.simpleString();
      case 'bracket':
        if (token.value === '(' || token.value === ')' || token.value === ']') return this.interval() ?? err('invalid syntax');
        if (token.value === '[') return this.interval() ?? this.array();
        if (token.value === '{') return this.object();
        return err('unexpected }');
      case 'operator':
        return err('unexpected operator');
      default:
        return err('unexpected template token');
    }
  }

  private identifier(): Node {
    const token = this.current()!;
    const name = token.kind === 'identifier' || token.kind === 'literal' ? token.value : '';
    this.next();
    if (!this.isBracket('(')) {
      const base: Node = token.kind === 'identifier' && token.value === '$root' ? { k: 'root' } : { k: 'identifier', name };
      const [node] = this.withPostfix(base);
      // Assignment blocks (`a = 1; b = 2; a + b`): not supported by this compiler.
      if (this.isOp('=')) return err('assignments are not supported by the compiler');
      return node;
    }
    const kind = FUNCTION_NAMES.get(name);
    if (!kind) return err(`unknown function ${name}`);
    this.next();
    const args: Node[] = [];
    if (kind === 'closure') {
      args.push(this.sub('global'));
      let alias: string | undefined;
      const maybeAs = this.current();
      if (maybeAs?.kind === 'literal' && maybeAs.value === 'as') {
        this.next();
        const aliasToken = this.current();
        if (aliasToken?.kind === 'literal') {
          alias = aliasToken.value;
          this.next();
        } else args.push(err("expected identifier after 'as'"));
      }
      const comma = this.expectOp(',');
      if (comma) args.push(comma);
      this.depth++;
      const body = this.sub('closure');
      this.depth--;
      args.push({ k: 'closure', body, alias });
      const close = this.expectBracket(')');
      if (close) args.push(close);
    } else {
      for (;;) {
        if (this.isBracket(')')) break;
        args.push(this.sub('global'));
        if (!this.isOp(',')) break;
        const comma = this.expectOp(',');
        if (comma) {
          args.push(comma);
          break;
        }
      }
      const close = this.expectBracket(')');
      if (close) args.push(close);
    }
    return this.withPostfix({ k: 'call', name, args })[0];
  }

}
