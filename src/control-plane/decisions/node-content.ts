import * as acorn from 'acorn';
import { assertNever } from '../../lib/assert-never.js';
import type { ExpressionCompiler } from './expressions.js';
import type { JdmNode, NodeType } from '../../lib/jdm.js';
import type { Locator, Report } from './jdm-problems.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks what a node of a known type holds, queuing its expressions on the compiler. */
export function checkNodeContent(node: JdmNode, type: NodeType, at: Locator, report: Report, compiler: ExpressionCompiler): void {
  const content = node.content;
  switch (type) {
    case 'inputNode':
    case 'outputNode':
      return;
    case 'expressionNode': {
      const expressions = isObject(content) ? content.expressions : undefined;
      if (!Array.isArray(expressions)) return report('content.expressions must be an array', at);
      expressions.forEach((e: unknown, i) => {
        if (!isObject(e) || typeof e.key !== 'string' || typeof e.value !== 'string') {
          return report(`expression ${i + 1} must have string 'key' and 'value'`, at);
        }
        const item = { ...at, itemId: typeof e.id === 'string' ? e.id : undefined, expression: e.value };
        if (e.key.trim() === '') report(`expression ${i + 1} has an empty key`, item);
        const name = e.key;
        compiler.standard(e.value, (error) => report(`expression '${name}' does not compile: ${error}`, item));
      });
      return;
    }
    case 'switchNode': {
      const statements = isObject(content) ? content.statements : undefined;
      if (!isObject(content) || !Array.isArray(statements)) return report('content.statements must be an array', at);
      checkHitPolicy(content, at, report);
      statements.forEach((s: unknown, i) => {
        if (!isObject(s) || typeof s.id !== 'string') return report(`statement ${i + 1} must have a string 'id'`, at);
        const condition = s.condition ?? '';
        if (typeof condition !== 'string') return report(`statement ${i + 1} has a condition that is not a string`, { ...at, itemId: s.id });
        if (condition.trim() === '') return; // an empty condition is the default branch
        const branch = { ...at, itemId: s.id, expression: condition };
        compiler.standard(condition, (error) => report(`condition of branch ${i + 1} does not compile: ${error}`, branch));
      });
      return;
    }
    case 'decisionTableNode':
      return checkDecisionTable(content, at, report, compiler);
    case 'functionNode': {
      // Legacy function nodes hold a script; current ones ({ source }) hold an ES module.
      const legacy = typeof content === 'string';
      const source = legacy ? content : isObject(content) ? content.source : undefined;
      if (typeof source !== 'string') return report('content must be the function source, or an object with a string source', at);
      try {
        acorn.parse(source, { ecmaVersion: 'latest', sourceType: legacy ? 'script' : 'module', allowAwaitOutsideFunction: true });
      } catch (error) {
        report(`function source has a syntax error: ${(error as Error).message}`, at);
      }
      return;
    }
    case 'decisionNode': {
      const key = isObject(content) ? content.key : undefined;
      if (typeof key !== 'string' || key.trim() === '') report('content.key must name the sub-decision to call', at);
      return;
    }
    default:
      return assertNever(type, 'node type');
  }
}

function checkHitPolicy(content: Record<string, unknown>, at: Locator, report: Report): void {
  const policy = content.hitPolicy;
  if (policy !== undefined && policy !== 'first' && policy !== 'collect') {
    report(`hitPolicy must be 'first' or 'collect' (got ${JSON.stringify(policy)})`, at);
  }
}

interface Column {
  id: string;
  name: string;
  field: string | undefined;
}

function columns(raw: unknown, kind: 'input' | 'output', at: Locator, report: Report): Column[] | undefined {
  if (!Array.isArray(raw)) {
    report(`content.${kind}s must be an array`, at);
    return undefined;
  }
  const result: Column[] = [];
  raw.forEach((c: unknown, i) => {
    if (!isObject(c) || typeof c.id !== 'string') return report(`${kind} column ${i + 1} must have a string 'id'`, at);
    const name = typeof c.name === 'string' && c.name !== '' ? c.name : typeof c.field === 'string' ? c.field : c.id;
    const field = typeof c.field === 'string' && c.field.trim() !== '' ? c.field : undefined;
    if (kind === 'output' && field === undefined) report(`output column ${i + 1} ('${name}') has no field to write to`, { ...at, column: name, columnId: c.id });
    result.push({ id: c.id, name, field });
  });
  return result;
}

function checkDecisionTable(content: unknown, at: Locator, report: Report, compiler: ExpressionCompiler): void {
  if (!isObject(content)) return report('content must be an object with inputs, outputs and rules', at);
  checkHitPolicy(content, at, report);
  const inputs = columns(content.inputs, 'input', at, report);
  const outputs = columns(content.outputs, 'output', at, report);
  if (!Array.isArray(content.rules)) return report('content.rules must be an array', at);
  if (!inputs || !outputs) return;
  content.rules.forEach((rule: unknown, i) => {
    const ruleAt = { ...at, rule: i + 1, ruleId: isObject(rule) && typeof rule._id === 'string' ? rule._id : undefined };
    if (!isObject(rule)) return report('rule must be an object', ruleAt);
    for (const [column, kind] of [...inputs.map((c) => [c, 'input'] as const), ...outputs.map((c) => [c, 'output'] as const)]) {
      const cell = rule[column.id];
      if (cell === undefined || cell === null) continue;
      const cellAt = { ...ruleAt, column: column.name, columnId: column.id };
      if (typeof cell !== 'string') {
        report(`cell must be a string (got ${JSON.stringify(cell)})`, cellAt);
        continue;
      }
      if (cell.trim() === '') continue; // empty input cell matches anything; empty output cell is null
      // The engine parses every input cell as a unary test (against the column's field, or null when
      // the column has none) and output cells as full expressions.
      const onError = (error: string) => report(`cell ${JSON.stringify(cell)} does not compile: ${error}`, { ...cellAt, expression: cell });
      if (kind === 'input') compiler.unary(cell, onError);
      else compiler.standard(cell, onError);
    }
  });
}
