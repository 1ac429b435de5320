import type { Value } from '../values.js';

/** What a running expression sees: the environment and the closure items (innermost last). */
export interface Frame {
  env: Value;
  readonly scopes: Value[];
}

export type Evaluator = (frame: Frame) => Value;

/** Thrown at compile time for a construct the compiler does not run; the graph falls back. */
export class Unsupported extends Error {}

/** What the compiler knows where it compiles a node. */
export interface Scope {
  readonly aliases: readonly (string | undefined)[];
  /** The value is used where order cannot show (len, count, some, sum...): see keys/values. */
  readonly orderFree: boolean;
}
