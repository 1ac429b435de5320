import { AppError } from '../../errors.js';

/** A node of a graph, for errors that name it. */
export interface NodeInfo {
  readonly decision: string;
  readonly name: string;
  readonly type: string;
}

interface EngineErrorBody {
  type?: string;
  nodeId?: string;
  source?: string;
}

function parse(error: unknown): EngineErrorBody {
  const text = String((error as Error)?.message ?? error).split('\n')[0] ?? '';
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as EngineErrorBody) : { source: text };
  } catch {
    return { source: text };
  }
}

/** What a function node's error JSON says, without the engine's stack noise. */
function describeSource(source: string): string {
  try {
    const inner = JSON.parse(source) as { message?: string };
    if (typeof inner.message === 'string') return inner.message;
  } catch {
    // not JSON
  }
  return source.replace(/(Error: )+/g, '').trim();
}

/**
 * Engine messages can carry internals a caller has no use for (a QuickJS heap address, a Rust
 * type path); they are cut to what explains the failure.
 */
function sanitize(text: string): string {
  const cleaned = text
    .replace(/0x[0-9a-fA-F]{6,}/g, '0x…')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > 500 ? `${cleaned.slice(0, 497)}...` : cleaned;
}

/**
 * Turns an engine failure into a 422 problem that names the node (and the decision it belongs to),
 * and says plainly what the common bounded failures mean: a function node stopped by the engine's
 * time limit, and sub-decisions nested past the depth limit.
 */
export function engineError(error: unknown, lookup: (nodeId: string) => NodeInfo | undefined, decisionKey: string): AppError {
  const body = parse(error);
  const source = body.source ?? 'the engine failed';
  const node = body.nodeId ? lookup(body.nodeId) : undefined;
  const where = body.nodeId ? `node '${node?.name ?? body.nodeId}' (id ${body.nodeId}${node && node.decision !== decisionKey ? `, in sub-decision '${node.decision}'` : ''})` : `decision '${decisionKey}'`;
  let detail: string;
  if (source.includes('interrupted')) {
    detail = `${where}: the function ran longer than its time limit (VERDICT_EVAL_TIMEOUT_MS) and was stopped`;
  } else if (source.includes('Depth limit exceeded')) {
    detail = `${where}: sub-decisions are nested too deep (the engine stops at depth 5; do decisions call each other in a loop?)`;
  } else {
    detail = `${where}: ${sanitize(describeSource(source))}`;
  }
  return new AppError('evaluation-failed', detail, {
    ...(body.nodeId ? { nodeId: body.nodeId } : {}),
    ...(node ? { nodeName: node.name, nodeType: node.type, decision: node.decision } : { decision: decisionKey }),
  });
}

/** An evaluation that got too little CPU to finish in time: the machine's fault, not the decision's. */
export function busyError(timeoutMs: number): AppError {
  return new AppError('not-ready', `the engine could not finish this evaluation within ${timeoutMs} ms (VERDICT_EVAL_TIMEOUT_MS) because the machine is busy; retry shortly`);
}
