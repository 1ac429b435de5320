import { expressionNesting } from '../../lib/json-limits.js';
import type { CheckResult, ExpressionCheck } from '../../data-plane/engine/protocol.js';
import type { JdmDocument } from '../../lib/jdm.js';

/**
 * The engine's side of validation: compiling expressions and loading a graph. It runs in the
 * engine's isolated process (see EnginePool), so a costly or crashing expression in a saved graph
 * can neither stall nor crash the node.
 */
export interface JdmChecker {
  check(items: readonly ExpressionCheck[]): Promise<CheckResult[]>;
  loadable(content: JdmDocument): Promise<string | undefined>;
}

/** Brackets nest this deep at most in one expression: the engine's parser recurses per level. */
export const MAX_EXPRESSION_NESTING = 64;
export const MAX_EXPRESSION_LENGTH = 100_000;

/**
 * Compiles expressions with the engine itself (see JdmChecker). Expressions are bounded first (length,
 * bracket nesting), each distinct expression is compiled once, and problems are reported in
 * document order once everything has been compiled.
 */
export class ExpressionCompiler {
  readonly #unique = new Map<string, { item: ExpressionCheck; result?: CheckResult }>();
  readonly #pending: { id: string; onError: (error: string) => void }[] = [];

  constructor(private readonly checker: JdmChecker) {}

  standard(expression: string, onError: (error: string) => void): void {
    this.#queue({ kind: 'standard', expression }, onError);
  }

  unary(expression: string, onError: (error: string) => void): void {
    this.#queue({ kind: 'unary', expression }, onError);
  }

  async flush(): Promise<void> {
    const toCheck = [...this.#unique.values()].filter((u) => u.result === undefined);
    if (toCheck.length > 0) {
      const results = await this.checker.check(toCheck.map((u) => u.item));
      toCheck.forEach((u, i) => (u.result = results[i]));
    }
    for (const { id, onError } of this.#pending) {
      const result = this.#unique.get(id)?.result;
      if (result && !result.ok) onError(result.error);
    }
    this.#pending.length = 0;
  }

  #queue(item: ExpressionCheck, onError: (error: string) => void): void {
    const id = `${item.kind[0]}:${item.expression}`;
    if (!this.#unique.has(id)) {
      const bound = boundProblem(item.expression);
      this.#unique.set(id, bound === undefined ? { item } : { item, result: { ok: false, error: bound } });
    }
    this.#pending.push({ id, onError });
  }
}

/** Limits checked before the engine sees an expression: its parser recurses per bracket. */
function boundProblem(expression: string): string | undefined {
  if (expression.length > MAX_EXPRESSION_LENGTH) return `it is ${expression.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are accepted`;
  const nesting = expressionNesting(expression);
  if (nesting > MAX_EXPRESSION_NESTING) return `brackets nest ${nesting} deep; at most ${MAX_EXPRESSION_NESTING} levels are accepted`;
  return undefined;
}
