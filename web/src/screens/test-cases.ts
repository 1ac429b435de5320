/** A decision's saved test case: the corpus's `tests` shape, stored in the decision's content. */
export interface TestCase {
  readonly name?: string;
  readonly input: Record<string, unknown>;
  readonly output: unknown;
}

/** The cases a decision's content holds (content saved by other tools may hold anything else). */
export function casesOf(content: unknown): TestCase[] {
  const tests = (content as { tests?: unknown } | undefined)?.tests;
  return Array.isArray(tests) ? (tests as TestCase[]) : [];
}

/** A field's JSON text as a value, or why it is not one. `object`: only a JSON object will do. */
export function parseJsonField(text: string, what: string, object: boolean): { value: unknown } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `${what} is not valid JSON: ${(error as Error).message}` };
  }
  if (object && (value === null || typeof value !== 'object' || Array.isArray(value))) return { error: `${what} must be a JSON object, such as {"price": 10}` };
  return { value };
}

/** One line of JSON for a table cell. */
export function brief(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function sameCases(a: readonly TestCase[], b: readonly TestCase[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
