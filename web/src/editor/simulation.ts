import type { DecisionGraphType, Simulation } from '@gorules/jdm-editor';
import type { Problem } from '../api/client';

/** A context the simulator can send: a JSON object, or why the text is not one. */
export type ParsedContext = { readonly context: Record<string, unknown> } | { readonly error: string };

/**
 * Strict JSON, not the JSON5 jdm-editor's own request panel accepts: the server takes JSON, and a
 * context that only the browser understands would fail there with a less helpful message.
 */
export function parseContext(text: string): ParsedContext {
  if (text.trim() === '') return { context: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `The context is not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'The context must be a JSON object, such as {"price": 10}' };
  return { context: value as Record<string, unknown> };
}

/** What the simulate endpoint answers (zen-engine's trace: node id → input, output, traceData). */
export interface SimulateAnswer {
  readonly result: unknown;
  readonly performance: string;
  readonly trace?: unknown;
}

/**
 * The editor's simulation state from the server's answer. The snapshot is the graph that ran:
 * jdm-editor matches trace rows (table rules by `_id`) against it, so later edits do not shift them.
 */
export function simulationOf(answer: SimulateAnswer, ran: DecisionGraphType): Simulation {
  return {
    result: {
      performance: answer.performance,
      result: answer.result as never,
      snapshot: ran,
      trace: (answer.trace ?? {}) as NonNullable<Simulation['result']>['trace'],
    },
  };
}

/** A refused simulation, with the failing node marked in the graph when the server names it. */
export function simulationError(problem: Problem): Simulation {
  return { error: { title: problem.title ?? 'Simulation failed', message: problem.detail ?? problem.code, data: problem.nodeId === undefined ? {} : { nodeId: problem.nodeId } } };
}
