import { EngineError, engineError } from '../errors.js';
import { spend } from '../budget.js';
import { type Evaluator, type Frame, compileStandard, compileUnary } from '../expression/compile.js';
import { type Value, type VMap, depthClone, dotGet, dotInsert, dotInsertParts, dotRemove, mergeClone } from '../values.js';
import type { NodeModel, TransformAttributes } from './model.js';

/**
 * Decision-table and expression node handlers, and the transform attributes (input field,
 * loop, pass-through, output path) around them, ported from zen-engine 0.54
 * (nodes/decision_table, nodes/expression, nodes/transform_attributes.rs).
 */

/** A node's work on its (already merged) input; throws EngineError where the node fails. */
export type NodeRun = (input: Value) => Value;

type Cell = Evaluator | 'empty';

interface CompiledRule {
  /** One per input column; undefined: the rule has no cell for it, so it never matches. */
  readonly inputs: readonly (Cell | undefined)[];
  readonly outputs: readonly (Cell | undefined)[];
}

/** Errors of a cell make the row not match (`.ok()?` in evaluate_row); only EngineError. */
function attempt(run: () => Value): { ok: true; value: Value } | { ok: false } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (error instanceof EngineError) return { ok: false };
    throw error;
  }
}

export function compileTable(node: Extract<NodeModel, { kind: 'table' }>): NodeRun {
  const fields = node.inputs.map((i) => (i.field === undefined ? undefined : { text: i.field, run: compileStandard(i.field) }));
  const rules: CompiledRule[] = node.rules.map((rule) => ({
    inputs: node.inputs.map((input, i) => {
      const cell = rule.get(input.id);
      if (cell === undefined) return undefined;
      if (cell === '') return 'empty';
      return fields[i] ? compileUnary(cell) : compileStandard(cell);
    }),
    outputs: node.outputs.map((output) => {
      const cell = rule.get(output.id);
      if (cell === undefined) return undefined;
      return cell === '' ? 'empty' : compileStandard(cell);
    }),
  }));
  const outputFields = node.outputs.map((o) => o.field.split('.'));
  const collect = node.hitPolicy === 'collect';

  const handle = (input: Value): Value => {
    // One isolate per node run: the environment copy and the reference cache live as long.
    const frame: Frame = { env: depthClone(input, 1), scopes: [] };
    const references = new Map<string, Value>();

    const setReference = (field: { text: string; run: Evaluator }): boolean => {
      let value = references.get(field.text);
      if (value === undefined) {
        const computed = attempt(() => field.run(frame));
        if (!computed.ok) return false;
        value = computed.value;
        references.set(field.text, value);
      }
      if (!(frame.env instanceof Map)) frame.env = new Map();
      (frame.env as VMap).set('$', value);
      return true;
    };

    const row = (rule: CompiledRule): Value | undefined => {
      for (let i = 0; i < rule.inputs.length; i++) {
        const cell = rule.inputs[i];
        if (cell === undefined) return undefined;
        if (cell === 'empty') continue;
        const field = fields[i];
        if (field && !setReference(field)) return undefined;
        const result = attempt(() => cell(frame));
        if (!result.ok || result.value !== true) return undefined;
      }
      const out: VMap = new Map();
      for (let i = 0; i < rule.outputs.length; i++) {
        const cell = rule.outputs[i];
        if (cell === undefined) return undefined;
        if (cell === 'empty') continue;
        const result = attempt(() => cell(frame));
        if (!result.ok) return undefined;
        dotInsertParts(out, outputFields[i]!, result.value);
      }
      return out;
    };

    spend(rules.length);
    if (!collect) {
      for (const rule of rules) {
        const out = row(rule);
        if (out !== undefined) return out;
      }
      return null;
    }
    const outputs: Value[] = [];
    for (const rule of rules) {
      const out = row(rule);
      if (out !== undefined) outputs.push(out);
    }
    return outputs;
  };
  return withTransform(node.transform, handle);
}

export function compileExpressionNode(node: Extract<NodeModel, { kind: 'expression' }>): NodeRun {
  const expressions = node.expressions
    .filter((e) => e.key !== '' && e.value !== '')
    .map((e) => ({ key: e.key.split('.'), envKey: `$.${e.key}`.split('.'), run: compileStandard(e.value) }));
  const handle = (input: Value): Value => {
    const frame: Frame = { env: depthClone(input, 1), scopes: [] };
    const result: VMap = new Map();
    for (const e of expressions) {
      const value = e.run(frame);
      dotInsertParts(frame.env, e.envKey, depthClone(value, 2));
      dotInsertParts(result, e.key, value);
    }
    return result;
  };
  return withTransform(node.transform, handle);
}

/** Switch statements: an empty condition is true, an error or a non-boolean is false. */
export function compileSwitch(node: Extract<NodeModel, { kind: 'switch' }>): (input: Value) => string[] {
  const statements = node.statements.map((s) => ({ id: s.id, test: s.condition === '' ? undefined : compileStandard(s.condition) }));
  const first = node.hitPolicy === 'first';
  return (input) => {
    const frame: Frame = { env: input, scopes: [] };
    const valid: string[] = [];
    for (const s of statements) {
      let ok = true;
      if (s.test) {
        const test = s.test;
        const result = attempt(() => test(frame));
        ok = result.ok && result.value === true;
      }
      if (ok) {
        valid.push(s.id);
        if (first) break;
      }
    }
    return valid;
  };
}

/** TransformAttributes::run_with. */
export function withTransform(attributes: TransformAttributes, handle: NodeRun): NodeRun {
  const inputField = attributes.inputField === undefined ? undefined : compileStandard(attributes.inputField);
  const { loop, passThrough, outputPath } = attributes;
  if (!inputField && !loop && !passThrough && outputPath === undefined) {
    return (input) => {
      const output = handle(input);
      if (output instanceof Map) output.delete('$nodes');
      return output;
    };
  }
  return (nodeInput) => {
    let input = nodeInput;
    if (inputField) {
      const calculated = inputField({ env: nodeInput, scopes: [] });
      const nodes = dotGet(nodeInput, '$nodes') ?? null;
      if (Array.isArray(calculated)) {
        input = calculated.map((v) => {
          const copy = depthClone(v, 1);
          dotInsert(copy, '$nodes', nodes);
          return copy;
        });
      } else {
        input = depthClone(calculated, 1);
        dotInsert(input, '$nodes', nodes);
      }
    }
    let output: Value;
    if (!loop) {
      output = handle(input);
      dotRemove(output, '$nodes');
    } else {
      if (!Array.isArray(input)) return engineError('expected an array');
      const items: Value[] = [];
      spend(input.length);
      for (const item of input) {
        let out = handle(item);
        if (passThrough) out = mergeClone(item, out);
        dotRemove(out, '$nodes');
        items.push(out);
      }
      output = items;
    }
    if (outputPath !== undefined) {
      const wrapped: VMap = new Map();
      dotInsert(wrapped, outputPath, output);
      output = wrapped;
    }
    if (passThrough) output = mergeClone(nodeInput, output);
    return output;
  };
}
