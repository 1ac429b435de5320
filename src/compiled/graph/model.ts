/**
 * The parts of a JDM document the compiler reads, checked the way zen-engine's serde model
 * (zen-types decision/mod.rs) deserialises them. Anything else is a reason to refuse: the
 * engine would reject the document or do something this compiler does not model.
 */

export interface TransformAttributes {
  readonly inputField: string | undefined;
  readonly outputPath: string | undefined;
  readonly loop: boolean;
  readonly passThrough: boolean;
}

export interface TableInput {
  readonly id: string;
  readonly field: string | undefined;
}

export interface TableOutput {
  readonly id: string;
  readonly field: string;
}

export type NodeModel = { readonly id: string; readonly name: string } & (
  | { readonly kind: 'input' }
  | { readonly kind: 'output' }
  | {
      readonly kind: 'table';
      readonly hitPolicy: 'first' | 'collect';
      readonly inputs: readonly TableInput[];
      readonly outputs: readonly TableOutput[];
      readonly rules: readonly ReadonlyMap<string, string>[];
      readonly transform: TransformAttributes;
    }
  | { readonly kind: 'expression'; readonly expressions: readonly { key: string; value: string }[]; readonly transform: TransformAttributes }
  | { readonly kind: 'switch'; readonly hitPolicy: 'first' | 'collect'; readonly statements: readonly { id: string; condition: string }[] }
  | { readonly kind: 'decision'; readonly key: string; readonly transform: TransformAttributes }
);

export interface EdgeModel {
  readonly sourceId: string;
  readonly targetId: string;
  readonly sourceHandle: string | undefined;
}

export interface GraphModel {
  readonly nodes: readonly NodeModel[];
  readonly edges: readonly EdgeModel[];
}

export type ModelResult = { ok: true; graph: GraphModel } | { ok: false; reasons: string[] };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Refusal extends Error {}
const refuse = (why: string): never => {
  throw new Refusal(why);
};

const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : refuse(`${what} is not a string`));
/** serde's empty_string_is_none: blank or null is absent, other strings are kept as written. */
const optionalStr = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  const s = str(v, what);
  return s.trim() === '' ? undefined : s;
};

function transform(content: Json, what: string): TransformAttributes {
  const mode = content.executionMode ?? 'single';
  if (mode !== 'single' && mode !== 'loop') refuse(`${what}: execution mode ${String(mode)}`);
  const passThrough = content.passThrough ?? false;
  if (typeof passThrough !== 'boolean') refuse(`${what}: passThrough is not a boolean`);
  return {
    inputField: optionalStr(content.inputField, `${what} inputField`),
    outputPath: optionalStr(content.outputPath, `${what} outputPath`),
    loop: mode === 'loop',
    passThrough: passThrough as boolean,
  };
}

/** An input/output schema the engine validates against (an unparsable one it ignores). */
function hasSchema(content: unknown): boolean {
  if (!isObject(content) || content.schema === undefined || content.schema === null) return false;
  if (typeof content.schema !== 'string') return true;
  if (content.schema.trim() === '') return false;
  try {
    JSON.parse(content.schema);
    return true;
  } catch {
    return false;
  }
}

function node(raw: unknown, index: number): NodeModel {
  if (!isObject(raw)) return refuse(`node ${index} is not an object`);
  const id = str(raw.id, `node ${index} id`);
  const name = str(raw.name, `node ${id} name`);
  const content = raw.content;
  const what = `node "${name}"`;
  switch (raw.type) {
    case 'inputNode':
    case 'outputNode':
      if (hasSchema(content)) refuse(`${what}: JSON schema validation is not compiled`);
      return { id, name, kind: raw.type === 'inputNode' ? 'input' : 'output' };
    case 'decisionTableNode': {
      if (!isObject(content)) return refuse(`${what}: no content`);
      const hitPolicy = content.hitPolicy;
      if (hitPolicy !== 'first' && hitPolicy !== 'collect') return refuse(`${what}: hit policy ${String(hitPolicy)}`);
      if (!Array.isArray(content.inputs) || !Array.isArray(content.outputs) || !Array.isArray(content.rules)) return refuse(`${what}: malformed table`);
      const inputs = content.inputs.map((i: unknown) => {
        if (!isObject(i)) return refuse(`${what}: malformed input column`);
        str(i.name, `${what} input name`);
        return { id: str(i.id, `${what} input id`), field: optionalStr(i.field, `${what} input field`) };
      });
      const outputs = content.outputs.map((o: unknown) => {
        if (!isObject(o)) return refuse(`${what}: malformed output column`);
        str(o.name, `${what} output name`);
        return { id: str(o.id, `${what} output id`), field: str(o.field, `${what} output field`) };
      });
      const rules = content.rules.map((r: unknown) => {
        if (!isObject(r)) return refuse(`${what}: malformed rule`);
        // deserialize_trim_rules: every cell is a string, trimmed.
        return new Map(Object.entries(r).map(([k, v]) => [k, str(v, `${what} rule cell`).trim()]));
      });
      return { id, name, kind: 'table', hitPolicy, inputs, outputs, rules, transform: transform(content, what) };
    }
    case 'expressionNode': {
      if (!isObject(content) || !Array.isArray(content.expressions)) return refuse(`${what}: malformed expressions`);
      const expressions = content.expressions.map((e: unknown) => {
        if (!isObject(e)) return refuse(`${what}: malformed expression`);
        str(e.id, `${what} expression id`);
        return { key: str(e.key, `${what} expression key`), value: str(e.value, `${what} expression value`) };
      });
      return { id, name, kind: 'expression', expressions, transform: transform(content, what) };
    }
    case 'switchNode': {
      if (!isObject(content) || !Array.isArray(content.statements)) return refuse(`${what}: malformed statements`);
      const hitPolicy = content.hitPolicy ?? 'first';
      if (hitPolicy !== 'first' && hitPolicy !== 'collect') return refuse(`${what}: hit policy ${String(hitPolicy)}`);
      const statements = content.statements.map((s: unknown) => {
        if (!isObject(s)) return refuse(`${what}: malformed statement`);
        return { id: str(s.id, `${what} statement id`), condition: str(s.condition, `${what} condition`) };
      });
      return { id, name, kind: 'switch', hitPolicy, statements };
    }
    case 'decisionNode': {
      if (!isObject(content)) return refuse(`${what}: no content`);
      return { id, name, kind: 'decision', key: str(content.key, `${what} key`), transform: transform(content, what) };
    }
    case 'functionNode':
      return refuse(`${what}: function nodes run JavaScript in the engine`);
    case 'customNode':
      return refuse(`${what}: custom nodes are handled by the host`);
    default:
      return refuse(`${what}: unknown node type ${String(raw.type)}`);
  }
}

export function readGraph(raw: unknown): ModelResult {
  if (!isObject(raw) || !Array.isArray(raw.nodes) || !Array.isArray(raw.edges)) return { ok: false, reasons: ['not a JDM document (nodes, edges)'] };
  const reasons: string[] = [];
  const nodes: NodeModel[] = [];
  raw.nodes.forEach((n: unknown, i: number) => {
    try {
      nodes.push(node(n, i));
    } catch (error) {
      if (error instanceof Refusal) reasons.push(error.message);
      else throw error;
    }
  });
  const ids = new Set(nodes.map((n) => n.id));
  const edges: EdgeModel[] = [];
  for (const e of raw.edges as unknown[]) {
    try {
      if (!isObject(e)) refuse('malformed edge');
      const edge = e as Json;
      const sourceId = str(edge.sourceId, 'edge sourceId');
      const targetId = str(edge.targetId, 'edge targetId');
      str(edge.id, 'edge id');
      const handle = edge.sourceHandle;
      if (handle !== undefined && handle !== null && typeof handle !== 'string') refuse('edge sourceHandle is not a string');
      edges.push({ sourceId, targetId, sourceHandle: typeof handle === 'string' ? handle : undefined });
    } catch (error) {
      if (error instanceof Refusal) reasons.push(error.message);
      else throw error;
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };
  if (new Set(nodes.map((n) => n.id)).size !== nodes.length) reasons.push('two nodes share an id');
  for (const e of edges) {
    if (!ids.has(e.sourceId) || !ids.has(e.targetId)) reasons.push(`an edge names a missing node`);
  }
  if (nodes.filter((n) => n.kind === 'input').length !== 1) reasons.push('the graph needs exactly one input node');
  if (isCyclic(nodes, edges)) reasons.push('the graph is cyclic');
  return reasons.length > 0 ? { ok: false, reasons: [...new Set(reasons)] } : { ok: true, graph: { nodes, edges } };
}

function isCyclic(nodes: readonly NodeModel[], edges: readonly EdgeModel[]): boolean {
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.sourceId, [...(out.get(e.sourceId) ?? []), e.targetId]);
  const state = new Map<string, 1 | 2>();
  const visit = (id: string): boolean => {
    const s = state.get(id);
    if (s === 1) return true;
    if (s === 2) return false;
    state.set(id, 1);
    for (const next of out.get(id) ?? []) if (visit(next)) return true;
    state.set(id, 2);
    return false;
  };
  return nodes.some((n) => visit(n.id));
}
