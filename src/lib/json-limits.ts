/**
 * Limits on JSON values that reach the decision engine or the canonical hash. Measured here:
 * zen-engine overflows its native stack (and kills the process with SIGSEGV) on a value nested
 * about 4,000 deep, and no JavaScript try/catch can stop that, so the depth is bounded before the
 * engine sees any data. JSON.parse turns `1e309` into Infinity, which has no JSON form at all.
 */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects (a scalar at the top is depth 0). */
  readonly maxDepth: number;
}

export type JsonProblem =
  | { readonly kind: 'too-deep'; readonly path: string; readonly limit: number }
  | { readonly kind: 'not-finite'; readonly path: string; readonly value: string };

/**
 * The first problem in `value`, or undefined. Iterative (an explicit stack), so a hostile value
 * cannot overflow this check's own stack either; it stops at the first problem.
 */
export function jsonProblem(value: unknown, limits: JsonLimits): JsonProblem | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const current = item.value;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { kind: 'not-finite', path: item.path || '/', value: String(current) };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    const depth = item.depth + 1;
    if (depth > limits.maxDepth) return { kind: 'too-deep', path: item.path || '/', limit: limits.maxDepth };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        const child = current[i] as unknown;
        // Scalars are checked in place: most of a large table is strings, and a stack entry each would triple the cost.
        if (typeof child === 'object' && child !== null) stack.push({ value: child, depth, path: `${item.path}/${i}` });
        else if (typeof child === 'number' && !Number.isFinite(child)) return { kind: 'not-finite', path: `${item.path}/${i}`, value: String(child) };
      }
    } else {
      for (const key of Object.keys(current)) {
        const child = (current as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) stack.push({ value: child, depth, path: `${item.path}/${escapePointer(key)}` });
        else if (typeof child === 'number' && !Number.isFinite(child)) return { kind: 'not-finite', path: `${item.path}/${escapePointer(key)}`, value: String(child) };
      }
    }
  }
  return undefined;
}

/** A JSON Pointer segment (RFC 6901), shortened: paths end up in error messages. */
function escapePointer(key: string): string {
  const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
  return escaped.length > 64 ? `${escaped.slice(0, 61)}...` : escaped;
}

/** One sentence for an error message: what is wrong, where, and the limit. */
export function describeJsonProblem(problem: JsonProblem, what: string): string {
  switch (problem.kind) {
    case 'too-deep':
      return `${what} is nested deeper than ${problem.limit} levels at ${problem.path} (VERDICT_MAX_JSON_DEPTH)`;
    case 'not-finite':
      return `${what} holds a number JSON cannot represent at ${problem.path} (${problem.value}; e.g. 1e309 overflows)`;
  }
}

/**
 * Deepest bracket nesting of an expression's text, outside string literals (template literals'
 * `${...}` parts count: they are expressions). The engine's parser recurses per bracket, so
 * `[[[[...]]]]` thousands deep crashes it like a deep JSON value does.
 */
export function expressionNesting(expression: string): number {
  // Each entry is what we are inside: a bracket, or a template literal (text until ` or ${).
  const stack: string[] = [];
  let deepest = 0;
  let quote: string | undefined; // inside '...' or "..."
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i]!;
    if (quote !== undefined) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (stack[stack.length - 1] === '`') {
      if (ch === '\\') i++;
      else if (ch === '`') stack.pop();
      else if (ch === '$' && expression[i + 1] === '{') {
        stack.push('${');
        i++;
        deepest = Math.max(deepest, stack.length);
      }
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '`' || ch === '(' || ch === '[' || ch === '{') {
      stack.push(ch);
      deepest = Math.max(deepest, stack.length);
    } else if ((ch === ')' || ch === ']' || ch === '}') && stack.length > 0) stack.pop();
  }
  return deepest;
}
