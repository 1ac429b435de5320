import { parseDecimal } from '../decimal.js';
import { NotSure } from '../errors.js';
import { type Node, hasError, firstError } from './ast.js';
import { type Token, tokenize, LexerError } from './lexer.js';
import { FUNCTION_NAMES } from './function-names.js';

/**
 * The ZEN expression parser, ported from zen-expression 0.54 (parser/parser.rs, standard.rs,
 * unary.rs): a Pratt parser that records errors as nodes and backtracks out of intervals. Both
 * flavours: standard (expressions) and unary (decision-table cells tested against `$`).
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

type Context = 'global' | 'closure';
type Combination = 'mixed' | 'computed' | 'property' | 'inherit';

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

const err = (message: string, node?: Node): Node => (node ? { k: 'error', message, node } : { k: 'error', message });

class Parser {
  private position = 0;
  private depth = 0;
  private readonly hasRange: boolean;

  constructor(
    private readonly tokens: Token[],
    private readonly flavour: 'standard' | 'unary',
  ) {
    this.hasRange = tokens.some((t) => t.kind === 'operator' && t.value === '..');
  }

  isDone(): boolean {
    return this.position >= this.tokens.length;
  }

  private current(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): void {
    this.position++;
  }

  private isOp(value: string, token = this.current()): boolean {
    return token?.kind === 'operator' && token.value === value;
  }

  private isBracket(value: string, token = this.current()): boolean {
    return token?.kind === 'bracket' && token.value === value;
  }

  /** `expect`: consume the token or give an error node (without consuming). */
  private expect(test: (t: Token) => boolean, what: string): Node | undefined {
    const token = this.current();
    if (token && test(token)) {
      this.next();
      return undefined;
    }
    return err(`expected ${what}`);
  }

  private expectOp(value: string): Node | undefined {
    return this.expect((t) => t.kind === 'operator' && t.value === value, value);
  }

  private expectBracket(value: string): Node | undefined {
    return this.expect((t) => t.kind === 'bracket' && t.value === value, value);
  }

  private sub = (ctx: Context): Node => this.binary(0, ctx);

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
        return { k: 'number', value };
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

  private simpleString(): Node {
    const quote = this.current()!;
    this.next();
    const literal = this.current();
    const errorLiteral = this.expect((t) => t.kind === 'literal', 'string');
    const errorEnd = this.expect((t) => t.kind === 'quote' && quote.kind === 'quote' && t.value === quote.value, 'quote');
    if (errorLiteral) return errorLiteral;
    if (errorEnd) return errorEnd;
    return { k: 'string', value: literal!.kind === 'literal' ? literal!.value : '' };
  }

  private template(): Node {
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

  private array(): Node {
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

  private object(): Node {
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

  private objectKey(): Node {
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

  // ---- postfix: .property, [index], [from:to], .method() ----
  private withPostfix(node: Node): [Node, Combination] {
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

  private memberAccess(node: Node): Node {
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

  private propertyAccess(node: Node): Node {
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

/** UnaryNodeBehaviour: compare `$` with the cell (`==` or `in`), or use the cell as a boolean. */
function unaryBehaviour(node: Node): '==' | 'in' | 'boolean' {
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
