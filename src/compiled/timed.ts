import type { CompiledDecision } from './compile-graph.js';

/**
 * Evaluates and times it, with the duration written the way zen-engine writes its `performance`
 * ("247.0µs", "1.3ms"), so a compiled answer has the engine's shape.
 */
export function evaluateTimed(decision: CompiledDecision, context: unknown): { result: unknown; performance: string } {
  const startedAt = performance.now();
  const result = decision.evaluate(context);
  const ms = performance.now() - startedAt;
  return { result, performance: ms < 1 ? `${(ms * 1000).toFixed(1)}µs` : `${ms.toFixed(1)}ms` };
}
