/**
 * The three ways a compiled evaluation can end without a result. They are kept apart because the
 * caller treats them differently: an EngineError is the answer (zen-engine fails too), NotSure
 * sends the evaluation to zen-engine, EngineWouldCrash must not be sent there.
 */

/** zen-engine returns an error for this evaluation as well; `message` says why in our words. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
}

/**
 * The compiled form cannot tell for sure what zen-engine answers for these values (a number
 * operation whose rounding we do not model, a string we cannot parse the engine's way...).
 * Never an answer: the caller evaluates the decision with zen-engine instead.
 */
export class NotSure extends Error {
  override readonly name = 'NotSure';
}

/**
 * zen-engine 0.54 aborts the whole process for this result: napi cannot convert an integer
 * result >= 2^64 (or < -2^63) and unwraps None on the main thread. We refuse instead; sending
 * the evaluation to the engine would kill its host.
 */
export class EngineWouldCrash extends Error {
  override readonly name = 'EngineWouldCrash';
}

/**
 * A Rust panic inside the engine's evaluation (a context number it cannot hold, `x % 0`, an
 * arithmetic overflow). The worker catches it and the whole evaluation fails ("Hook timed
 * out"): unlike an EngineError it is not a failed table row or a false switch condition, so it
 * is a class of its own that only the top level turns into an EngineError.
 */
export class EnginePanic extends Error {
  override readonly name = 'EnginePanic';
}

export const notSure = (why: string): never => {
  throw new NotSure(why);
};

/**
 * Engine errors are frequent and expected inside an evaluation (a table cell comparing null with
 * a number fails and the row does not match), so evaluation throws this one preallocated error
 * and keeps the reason aside; `evaluate` turns what escapes into a fresh EngineError with it.
 * Making an Error per failure (its stack trace) cost more than the rest of some evaluations.
 */
export const FAILURE = new EngineError('the engine fails');
let failureReason = '';

export const engineError = (why: string): never => {
  failureReason = why;
  throw FAILURE;
};

export const lastFailureReason = (): string => failureReason;
