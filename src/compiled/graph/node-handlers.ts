import { EngineError, engineError } from '../errors.js';
import { spend } from '../budget.js';
import { type Evaluator, type Frame, compileStandard, compileUnary } from '../expression/compile.js';
import { type Value, type VMap, depthClone, dotGet, dotInsert, dotInsertParts, dotRemove, mergeClone, mergeOwned } from '../values.js';
import type { NodeModel, TransformAttributes } from './model.js';

/**
 * Decision-table and expression node handlers, and the transform attributes (input field,
 * loop, pass-through, output path) around them, ported from zen-engine 0.54
 * (nodes/decision_table, nodes/expression, nodes/transform_attributes.rs).
 */

/**
 * A node's work on its (already merged) input; throws EngineError where the node fails. `owned`:
 * the input's top level was made for this run and nothing else holds it.
 */
export type NodeRun = (input: Value, owned: boolean) => Value;

type Cell = Evaluator | 'empty';

interface CompiledRule {
  /** One per input column; undefined: the rule has no cell for it, so it never matches. */
  readonly inputs: readonly (Cell | undefined)[];
  readonly outputs: readonly (Cell | undefined)[];
}

/** Errors of a cell make the row not match (`.ok()?` in evaluate_row); only EngineError. */
const NO_MATCH = Symbol('no match');

/** A cell's value, or NO_MATCH where it fails. Inline try/catch: no closure per cell and run. */
function tryCell(cell: Evaluator, frame: Frame): Value | typeof NO_MATCH {
  try {
    return cell(frame);
  } catch (error) {
    if (error instanceof EngineError) return NO_MATCH;
    throw error;
  }
}

interface CompiledTable {
  /** Per input column, the slot of its field's cached value (columns with one text share it). */
  readonly fieldSlots: readonly (number | undefined)[];
  /** Per slot, the field expression. */
  readonly fieldRuns: readonly Evaluator[];
  readonly outputFields: readonly (readonly string[])[];
  readonly rules: readonly CompiledRule[];
}

/**
 * Sets `$` to the column's field value, computed once per node run and field text (the
 * engine's reference cache); false where the field fails (the row does not match).
 */
function setReference(table: CompiledTable, slot: number, frame: Frame, references: (Value | undefined)[]): boolean {
  let value = references[slot];
  if (value === undefined) {
    const computed = tryCell(table.fieldRuns[slot]!, frame);
    if (computed === NO_MATCH) return false;
    value = computed;
    references[slot] = value;
  }
  if (!(frame.env instanceof Map)) frame.env = new Map();
  (frame.env as VMap).set('$', value);
  return true;
}

/** evaluate_row: the rule's output object, or undefined when it does not match. */
function evaluateRow(table: CompiledTable, rule: CompiledRule, frame: Frame, references: (Value | undefined)[]): Value | undefined {
  const inputs = rule.inputs;
  for (let i = 0; i < inputs.length; i++) {
    const cell = inputs[i];
    if (cell === undefined) return undefined;
    if (cell === 'empty') continue;
    const slot = table.fieldSlots[i];
    if (slot !== undefined && !setReference(table, slot, frame, references)) return undefined;
    if (tryCell(cell, frame) !== true) return undefined;
  }
  const out: VMap = new Map();
  const outputs = rule.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const cell = outputs[i];
    if (cell === undefined) return undefined;
    if (cell === 'empty') continue;
    const value = tryCell(cell, frame);
    if (value === NO_MATCH) return undefined;
    dotInsertParts(out, table.outputFields[i]!, value);
  }
  return out;
}

export function compileTable(node: Extract<NodeModel, { kind: 'table' }>): NodeRun {
  const slotOfText = new Map<string, number>();
  const fieldRuns: Evaluator[] = [];
  const fieldSlots = node.inputs.map((i) => {
    if (i.field === undefined) return undefined;
    let slot = slotOfText.get(i.field);
    if (slot === undefined) {
      slot = fieldRuns.length;
      slotOfText.set(i.field, slot);
      fieldRuns.push(compileStandard(i.field));
    }
    return slot;
  });
  const rules: CompiledRule[] = node.rules.map((rule) => ({
    inputs: node.inputs.map((input, i) => {
      const cell = rule.get(input.id);
      if (cell === undefined) return undefined;
      if (cell === '') return 'empty';
      return fieldSlots[i] !== undefined ? compileUnary(cell) : compileStandard(cell);
    }),
    outputs: node.outputs.map((output) => {
      const cell = rule.get(output.id);
      if (cell === undefined) return undefined;
      return cell === '' ? 'empty' : compileStandard(cell);
    }),
  }));
  const table: CompiledTable = { fieldSlots, fieldRuns, outputFields: node.outputs.map((o) => o.field.split('.')), rules };
  const collect = node.hitPolicy === 'collect';
  const slots = fieldRuns.length;

  const handle = (input: Value): Value => {
    // One isolate per node run: the environment copy and the reference cache live as long.
    const frame: Frame = { env: depthClone(input, 1), scopes: [] };
    const references = new Array<Value | undefined>(slots);
    spend(rules.length);
    if (!collect) {
      for (const rule of rules) {
        const out = evaluateRow(table, rule, frame, references);
        if (out !== undefined) return out;
      }
      return null;
    }
    const outputs: Value[] = [];
    for (const rule of rules) {
      const out = evaluateRow(table, rule, frame, references);
      if (out !== undefined) outputs.push(out);
    }
    return outputs;
  };
  return withTransform(node.transform, handle, true);
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
  return withTransform(node.transform, handle, true);
}

/** Switch statements: an empty condition is true, an error or a non-boolean is false. */
export function compileSwitch(node: Extract<NodeModel, { kind: 'switch' }>): (input: Value) => string[] {
  const statements = node.statements.map((s) => ({ id: s.id, test: s.condition === '' ? undefined : compileStandard(s.condition) }));
  const first = node.hitPolicy === 'first';
  return (input) => {
    const frame: Frame = { env: input, scopes: [] };
    const valid: string[] = [];
    for (const s of statements) {
      const ok = s.test === undefined || tryCell(s.test, frame) === true;
      if (ok) {
        valid.push(s.id);
        if (first) break;
      }
    }
    return valid;
  };
}

/**
 * TransformAttributes::run_with. `handleKeepsInput`: the handler neither changes its input's top
 * level nor returns it (tables and expressions work on a copy), so an owned input can take the
 * pass-through merge in place.
 */
export function withTransform(attributes: TransformAttributes, handle: (input: Value) => Value, handleKeepsInput: boolean): NodeRun {
  const inputField = attributes.inputField === undefined ? undefined : compileStandard(attributes.inputField);
  const { loop, passThrough, outputPath } = attributes;
  if (!inputField && !loop && !passThrough && outputPath === undefined) {
    return (input) => {
      const output = handle(input);
      if (output instanceof Map) output.delete('$nodes');
      return output;
    };
  }
  return (nodeInput, owned) => {
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
    if (passThrough) output = owned && handleKeepsInput ? mergeOwned(nodeInput, output) : mergeClone(nodeInput, output);
    return output;
  };
}
