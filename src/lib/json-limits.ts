/**
 * Limits on JSON values that reach the decision engine or the canonical hash. Measured here:
 * zen-engine overflows its native stack (and kills the process with SIGSEGV) on a value nested
 * about 4,000 deep, and no JavaScript try/catch can stop that, so the depth is bounded before the
 * engine sees any data. JSON.parse turns `1e309` into Infinity, which has no JSON form at all.
 */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects (a scalar at the top is depth 0). */
  readonly maxDepth: number;
  /** Also refuse numbers the decision engine cannot take (see engineNumberProblem): for evaluation input. */
  readonly engineNumbers?: boolean;
}

export type JsonProblem =
  | { readonly kind: 'too-deep'; readonly path: string; readonly limit: number }
  | { readonly kind: 'not-finite'; readonly path: string; readonly value: string }
  | { readonly kind: 'engine-number'; readonly path: string; readonly value: string; readonly reason: string };

/**
 * zen-engine holds every input number as a rust_decimal Decimal: at most 28 decimal places (and
 * ±7.9e28). A number with more places (1e-30, 5e-324, 1.5e-28) fails the whole evaluation with
 * a misleading "Hook timed out", after a panic in the engine. Integers from 2^63 on come back
 * as text ("10000000000000000000"), and from 2^64 on a result holding one aborts the engine
 * process (SIGABRT): measured with 0.54, and found by the fuzzer. Such numbers are refused before
 * the engine sees them. (The 28-place rule matched the engine on 20,000 random doubles.)
 */
const ENGINE_MAX_MAGNITUDE = 2 ** 63;
const ENGINE_MAX_SCALE = 28;

export function engineNumberProblem(n: number): string | undefined {
  const magnitude = Math.abs(n);
  if (magnitude >= ENGINE_MAX_MAGNITUDE) return 'beyond ±9.2e18 (2^63): the decision engine gives larger integers back as text, or fails on them';
  // A double has at most 17 significant digits, so only numbers below 1e-11 can need more than 28 places.
  if (magnitude === 0 || magnitude >= 1e-11) return undefined;
  const parts = /^\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(magnitude.toString());
  const places = parts ? Math.max(0, (parts[1]?.length ?? 0) - Number(parts[2] ?? 0)) : Infinity;
  return places > ENGINE_MAX_SCALE ? `more than ${ENGINE_MAX_SCALE} decimal places: the decision engine holds numbers as decimals of at most ${ENGINE_MAX_SCALE} places` : undefined;
}

/**
 * Deepest `maxDepth` the recursive pre-check below takes: its frames are bounded by the limit
 * (VERDICT_MAX_JSON_DEPTH is at most 2,000), never by the value, so a hostile value cannot
 * overflow the stack. Beyond it only the iterative walk runs.
 */
const MAX_RECURSIVE_DEPTH = 4096;

/**
 * Whether `value` is within the limits: the same rules as jsonProblem's walk, without paths or a
 * stack of entries. Every evaluation context goes through here, and building a JSON Pointer for
 * every key cost more than the check itself; the walk runs (and names the path) only on failure.
 */
function withinLimits(value: unknown, depth: number, limits: JsonLimits): boolean {
  if (typeof value === 'number') return numberWithinLimits(value, limits);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= limits.maxDepth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child = value[i] as unknown;
      if (typeof child === 'number' ? !numberWithinLimits(child, limits) : typeof child === 'object' && child !== null && !withinLimits(child, depth + 1, limits)) return false;
    }
    return true;
  }
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === 'number' ? !numberWithinLimits(child, limits) : typeof child === 'object' && child !== null && !withinLimits(child, depth + 1, limits)) return false;
  }
  return true;
}

function numberWithinLimits(n: number, limits: JsonLimits): boolean {
  if (!Number.isFinite(n)) return false;
  return !limits.engineNumbers || Number.isSafeInteger(n) || engineNumberProblem(n) === undefined;
}

/**
 * The first problem in `value`, or undefined. A cheap recursive pass first (bounded by the depth
 * limit); only a value with a problem is walked again to find and name it. The walk is iterative
 * (an explicit stack), so a hostile value cannot overflow this check's own stack either; it stops
 * at the first problem.
 */
export function jsonProblem(value: unknown, limits: JsonLimits): JsonProblem | undefined {
  if (limits.maxDepth <= MAX_RECURSIVE_DEPTH && withinLimits(value, 0, limits)) return undefined;
  const numberProblem = (n: number, path: string): JsonProblem | undefined => {
    if (!Number.isFinite(n)) return { kind: 'not-finite', path: path || '/', value: String(n) };
    if (!limits.engineNumbers || Number.isSafeInteger(n)) return undefined;
    const reason = engineNumberProblem(n);
    return reason ? { kind: 'engine-number', path: path || '/', value: String(n), reason } : undefined;
  };
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const current = item.value;
    if (typeof current === 'number') {
      const problem = numberProblem(current, item.path);
      if (problem) return problem;
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
        else if (typeof child === 'number') {
          const problem = numberProblem(child, `${item.path}/${i}`);
          if (problem) return problem;
        }
      }
    } else {
      for (const key of Object.keys(current)) {
        const child = (current as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) stack.push({ value: child, depth, path: `${item.path}/${escapePointer(key)}` });
        else if (typeof child === 'number') {
          const problem = numberProblem(child, `${item.path}/${escapePointer(key)}`);
          if (problem) return problem;
        }
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
    case 'engine-number':
      return `${what} holds a number the decision engine cannot take at ${problem.path} (${problem.value}: ${problem.reason})`;
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
