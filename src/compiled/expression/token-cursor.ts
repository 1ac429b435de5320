import type { Node } from './ast.js';
import type { Token } from './lexer.js';

/** Where an expression is parsed: `#` and closure aliases exist only inside a closure. */
export type Context = 'global' | 'closure';

/** Parse errors are nodes (parser.rs records them and goes on); the caller rejects a tree with one. */
export const err = (message: string, node?: Node): Node => (node ? { k: 'error', message, node } : { k: 'error', message });

/**
 * The token navigation zen-expression's parser is built on (parser/parser.rs), shared by the
 * layers of the parser: postfix access, literals, then the grammar itself.
 */
export abstract class TokenCursor {
  protected position = 0;

  constructor(protected readonly tokens: Token[]) {}

  /** A whole sub-expression (`binary(0, ctx)`), which only the top layer knows how to parse. */
  protected abstract sub(ctx: Context): Node;

  isDone(): boolean {
    return this.position >= this.tokens.length;
  }

  protected current(): Token | undefined {
    return this.tokens[this.position];
  }

  protected next(): void {
    this.position++;
  }

  protected isOp(value: string, token = this.current()): boolean {
    return token?.kind === 'operator' && token.value === value;
  }

  protected isBracket(value: string, token = this.current()): boolean {
    return token?.kind === 'bracket' && token.value === value;
  }

  /** `expect`: consume the token or give an error node (without consuming). */
  protected expect(test: (t: Token) => boolean, what: string): Node | undefined {
    const token = this.current();
    if (token && test(token)) {
      this.next();
      return undefined;
    }
    return err(`expected ${what}`);
  }

  protected expectOp(value: string): Node | undefined {
    return this.expect((t) => t.kind === 'operator' && t.value === value, value);
  }

  protected expectBracket(value: string): Node | undefined {
    return this.expect((t) => t.kind === 'bracket' && t.value === value, value);
  }
}
