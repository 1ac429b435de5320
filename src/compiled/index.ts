/** Decision graphs compiled to JavaScript, evaluating as zen-engine 0.54 does (issue 16). */
export { compileGraph } from './compile-graph.js';
export type { CompileResult, CompiledDecision, DecisionResolver } from './compile-graph.js';
export { EngineError, EngineWouldCrash, NotSure } from './errors.js';
export { evaluateTimed } from './timed.js';
