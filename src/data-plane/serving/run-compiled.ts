import { EngineError, EngineWouldCrash, NotSure, evaluateTimed } from '../../compiled/index.js';
import { AppError } from '../../errors.js';
import type { BatchItem } from '../engine/protocol.js';
import type { CompiledRelease } from './compiled-release.js';

const failureOf = (key: string, error: EngineError | EngineWouldCrash): AppError =>
  new AppError(
    'evaluation-failed',
    error instanceof EngineWouldCrash
      ? `decision '${key}': the result holds a number out of the engine's range (an integer of 2^64 or more): ${error.message}`
      : `decision '${key}': ${error.message}`,
    { decision: key },
  );

/**
 * Evaluates with the decision's compiled form, on this thread: a result, or undefined when the
 * decision has none or the compiled form is not sure of these values (zen-engine answers then).
 * Throws the 422 zen-engine would give where the compiled form knows it fails.
 */
export function runCompiled(release: CompiledRelease, key: string, context: unknown): { result: unknown; performance: string } | undefined {
  const compiled = release.evaluators?.compiled(key);
  if (!compiled) return undefined;
  try {
    return evaluateTimed(compiled, context);
  } catch (error) {
    if (error instanceof NotSure) return undefined;
    if (error instanceof EngineError || error instanceof EngineWouldCrash) throw failureOf(key, error);
    return undefined; // a compiler bug is not the caller's problem: zen-engine answers
  }
}

/** A batch through the compiled form, or undefined when any context needs zen-engine (all go there then). */
export function runCompiledBatch(release: CompiledRelease, key: string, contexts: readonly unknown[]): BatchItem[] | undefined {
  const compiled = release.evaluators?.compiled(key);
  if (!compiled) return undefined;
  const items: BatchItem[] = [];
  for (const context of contexts) {
    try {
      items.push({ ok: true, response: evaluateTimed(compiled, context) });
    } catch (error) {
      if (error instanceof EngineError || error instanceof EngineWouldCrash) items.push({ ok: false, error: failureOf(key, error).detail });
      else return undefined;
    }
  }
  return items;
}
