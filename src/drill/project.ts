import { LabError } from '../lab/state.js';
import { call } from './http.js';

/** The drill's decision: one expression answering `{ v: <label> }` (or another key), so a response names the release that served it. */
export const drillGraph = (v: string, key = 'v') => ({
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request', position: { x: 0, y: 0 } },
    { id: 'calc', type: 'expressionNode', name: 'calc', position: { x: 200, y: 0 }, content: { expressions: [{ id: 'e1', key, value: `'${v}'` }] } },
    { id: 'out', type: 'outputNode', name: 'Response', position: { x: 400, y: 0 } },
  ],
  edges: [
    { id: 'e-in', sourceId: 'in', targetId: 'calc', type: 'edge' },
    { id: 'e-out', sourceId: 'calc', targetId: 'out', type: 'edge' },
  ],
});

export interface DrillProject {
  readonly evalPath: string;
  readonly deployPath: string;
  /** An evaluation token of the environment `prod`. */
  readonly token: string;
}

/**
 * Through one node's API: a project whose decision `calc` has one release per label (each
 * answering its label), an environment `prod` serving the first, and an evaluation token.
 */
export async function createDrillProject(nodeUrl: string, adminToken: string, project: string, labels: readonly [string, ...string[]]): Promise<DrillProject> {
  const api = async (method: string, route: string, body: unknown) => {
    const outcome = await call(`${nodeUrl}${route}`, { method, headers: { authorization: `Bearer ${adminToken}` }, body, timeoutMs: 30_000 });
    if (!outcome.ok) throw new LabError(`setting up ${project}: ${method} ${route} answered ${outcome.status ?? outcome.error}: ${JSON.stringify(outcome.body)}`);
    return outcome.body as Record<string, unknown>;
  };
  await api('POST', '/api/projects', { key: project });
  for (const label of labels) {
    await api('PUT', `/api/projects/${project}/decisions/calc`, { content: drillGraph(label) });
    await api('POST', `/api/projects/${project}/releases`, { label });
  }
  await api('POST', `/api/projects/${project}/environments`, { key: 'prod' });
  const deployPath = `/api/projects/${project}/environments/prod/deployments`;
  await api('POST', deployPath, { release: labels[0] });
  const token = (await api('POST', `/api/projects/${project}/environments/prod/tokens`, { name: 'drill' })).token as string;
  return { evalPath: `/api/projects/${project}/evaluate/calc`, deployPath, token };
}
