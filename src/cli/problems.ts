/**
 * One entry of a problem document's `errors`, as one line. The API has two shapes: graph problems
 * (decision, node, rule, column, test case, message; or a missing sub-decision reference) and request
 * validation (in, path, message). Written like the server's own detail for the first one.
 */
export function describeProblemItem(item: unknown): string {
  if (typeof item !== 'object' || item === null) return String(item);
  const e = item as Record<string, unknown>;
  const text = (key: string) => (typeof e[key] === 'string' || typeof e[key] === 'number' ? String(e[key]) : undefined);
  const where: string[] = [];
  const nodeName = text('nodeName');
  const nodeId = text('nodeId');
  if (nodeName !== undefined || nodeId !== undefined) where.push(`node '${nodeName ?? nodeId}'${nodeId !== undefined ? ` (id ${nodeId})` : ''}`);
  if (text('rule') !== undefined) where.push(`rule ${text('rule')}`);
  if (text('column') !== undefined) where.push(`column '${text('column')}'`);
  if (text('testCase') !== undefined) where.push(`test case tests[${text('testCase')}]${text('testName') !== undefined ? ` ('${text('testName')}')` : ''}`);
  const reference = text('reference');
  const message = text('message') ?? (reference !== undefined ? `calls sub-decision '${reference}', which is not in the project` : JSON.stringify(item));
  if (text('in') !== undefined && text('path') !== undefined) {
    const path = text('path')!;
    return `${text('in')}${path === '/' ? '' : path.replaceAll('/', '.')} ${message}`;
  }
  const decision = text('decision') !== undefined ? `decision '${text('decision')}': ` : '';
  return `${decision}${where.length ? `${where.join(', ')}: ` : ''}${message}`;
}
