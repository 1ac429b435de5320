import { LabError } from '../lab/state.js';
import { drillGraph } from '../drill/project.js';
import { call } from '../drill/http.js';
import type { PlannedWrite } from '../drill/write-stream.js';

/** The releases the deploy writer alternates between; each marks every decision with its label. */
export const MARKED_RELEASES = ['one', 'two'] as const;

/** `child`: answers `{ marker: <label> }`. */
const childGraph = (label: string) => drillGraph(label, 'marker');

/** `calc`: calls `child` as a sub-decision and answers `{ parent: <its label>, child: <child's marker> }`. */
const parentGraph = (label: string) => ({
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request', position: { x: 0, y: 0 } },
    { id: 'sub', type: 'decisionNode', name: 'Child', position: { x: 200, y: 0 }, content: { key: 'child.json' } },
    {
      id: 'mark',
      type: 'expressionNode',
      name: 'Mark',
      position: { x: 400, y: 0 },
      // The sub-decision's output is this node's input: `marker` is the child's.
      content: { expressions: [{ id: 'p', key: 'parent', value: `'${label}'` }, { id: 'c', key: 'child', value: 'marker' }] },
    },
    { id: 'out', type: 'outputNode', name: 'Response', position: { x: 600, y: 0 } },
  ],
  edges: [
    { id: 'e1', sourceId: 'in', targetId: 'sub', type: 'edge' },
    { id: 'e2', sourceId: 'sub', targetId: 'mark', type: 'edge' },
    { id: 'e3', sourceId: 'mark', targetId: 'out', type: 'edge' },
  ],
});

interface Answer {
  readonly result?: { readonly parent?: unknown; readonly child?: unknown };
  readonly details?: { readonly releaseLabel?: unknown };
}

/** A good answer comes from one of the marked releases. */
export const isExpected = (result: unknown): boolean => MARKED_RELEASES.some((label) => (result as Answer['result'])?.parent === label);

/**
 * A mixed release: the parent's marker, the sub-decision's and the release the node says it
 * served are not all the same. Each release marks both decisions with its own label, so any
 * disagreement means parts of two releases answered one request.
 */
export function isMixed(body: unknown): boolean {
  const { result, details } = (body ?? {}) as Answer;
  return result?.parent !== result?.child || result?.parent !== details?.releaseLabel;
}

export interface ChaosProject {
  readonly key: string;
  readonly evalPath: string;
  readonly token: string;
  /** The writers' plans: deploys alternate between the marked releases, and saves and releases of their own. */
  readonly deployPath: string;
  readonly saveAndRelease: (id: string) => PlannedWrite;
}

/**
 * Through one node's API: project `key` with the marked releases (`calc` and its sub-decision
 * `child` both answering the release's label), environment `prod` serving the first, an
 * evaluation token, and a `scratch` decision for the writers' saves. The writers' own releases
 * are never deployed: their markers are those of the last marked release, not their labels.
 */
export async function createChaosProject(nodeUrl: string, adminToken: string, key: string): Promise<ChaosProject> {
  const api = async (method: string, route: string, body: unknown) => {
    const outcome = await call(`${nodeUrl}${route}`, { method, headers: { authorization: `Bearer ${adminToken}` }, body, timeoutMs: 30_000 });
    if (!outcome.ok) throw new LabError(`setting up ${key}: ${method} ${route} answered ${outcome.status ?? outcome.error}: ${JSON.stringify(outcome.body)}`);
    return outcome.body as Record<string, unknown>;
  };
  const decisions = `/api/projects/${key}/decisions`;
  await api('POST', '/api/projects', { key });
  await api('PUT', `${decisions}/scratch`, { content: drillGraph('scratch') });
  for (const label of MARKED_RELEASES) {
    await api('PUT', `${decisions}/child`, { content: childGraph(label) });
    await api('PUT', `${decisions}/calc`, { content: parentGraph(label) });
    await api('POST', `/api/projects/${key}/releases`, { label });
  }
  await api('POST', `/api/projects/${key}/environments`, { key: 'prod' });
  const deployPath = `/api/projects/${key}/environments/prod/deployments`;
  await api('POST', deployPath, { release: MARKED_RELEASES[0] });
  const token = (await api('POST', `/api/projects/${key}/environments/prod/tokens`, { name: 'chaos' })).token as string;
  let n = 0;
  return {
    key,
    evalPath: `/api/projects/${key}/evaluate/calc`,
    token,
    deployPath,
    // A save carries its id in the decision's content; a release is labelled with it.
    saveAndRelease: (id) =>
      n++ % 2 === 0
        ? { kind: 'save', method: 'PUT', path: `${decisions}/scratch`, body: { content: drillGraph(id) }, release: 'scratch' }
        : { kind: 'release', method: 'POST', path: `/api/projects/${key}/releases`, body: { label: id }, release: id },
  };
}
