import type { JdmNode } from '../../lib/jdm.js';

/** One thing wrong with a graph, located as precisely as the graph allows. */
export interface JdmProblem {
  readonly message: string;
  readonly nodeId?: string;
  readonly nodeName?: string;
  readonly nodeType?: string;
  /** Decision table: 1-based rule number and the rule's `_id`. */
  readonly rule?: number;
  readonly ruleId?: string;
  /** Decision table: column name and id. */
  readonly column?: string;
  readonly columnId?: string;
  /** Expression or switch statement id, edge id... */
  readonly itemId?: string;
  readonly expression?: string;
  /** A test case stored with the graph (`tests`): its 0-based index. */
  readonly testCase?: number;
  readonly testName?: string;
}

export type Locator = Omit<JdmProblem, 'message'>;

export function describe(p: JdmProblem): string {
  const where: string[] = [];
  if (p.nodeName !== undefined || p.nodeId !== undefined) where.push(`node '${p.nodeName ?? p.nodeId}' (id ${p.nodeId})`);
  if (p.rule !== undefined) where.push(`rule ${p.rule}`);
  if (p.column !== undefined) where.push(`column '${p.column}'`);
  if (p.testCase !== undefined) where.push(`test case tests[${p.testCase}]${p.testName === undefined ? '' : ` ('${p.testName}')`}`);
  return where.length ? `${where.join(', ')}: ${p.message}` : p.message;
}

export function locate(node: JdmNode): Locator {
  return { nodeId: node.id, nodeName: node.name ?? node.id, nodeType: node.type };
}

export type Report = (message: string, at?: Locator) => void;
