import type { Role } from '../../../src/control-plane/api-tokens/roles.js';
import { corpusFiles, readCorpus } from '../../helpers/corpus.js';

/** A management API call that must succeed (seeding and oracles). */
export class Api {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async bytes(path: string): Promise<Buffer> {
    const response = await fetch(`${this.url}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
    return Buffer.from(await response.arrayBuffer());
  }
}

/** A corpus graph and inputs known to make sense for it. */
export interface CorpusGraph {
  readonly name: string;
  readonly doc: any;
  readonly inputs: readonly Record<string, unknown>[];
}

// Graphs whose results depend on the clock (see the corpus README): never compared.
const CLOCK_DEPENDENT = new Set([
  'auto-insurance-premium-calculator.json',
  'dynamic-shipping-cost-calculator.json',
  'insurance-prior-authorization.json',
  'last-mile-delivery-assignment.json',
  'seller-approval-workflow.json',
]);

/** Every corpus graph (the 2.8 MB 8k.json and the clock-dependent ones excepted), for mutation. */
export function loadCorpus(): CorpusGraph[] {
  const graphs: CorpusGraph[] = [];
  for (const file of corpusFiles('graphs')) {
    if (CLOCK_DEPENDENT.has(file)) continue;
    const doc = readCorpus('graphs', file);
    graphs.push({ name: file, doc, inputs: (doc.tests ?? []).map((t: { input: Record<string, unknown> }) => t.input) });
  }
  for (const file of corpusFiles('engine-cases')) {
    if (file === '8k.json') continue;
    graphs.push({ name: `engine-cases/${file}`, doc: readCorpus('engine-cases', file), inputs: [{ input: 15 }, { input: 'x' }, {}] });
  }
  return graphs;
}

/** What the main project deploys: key -> corpus file. Deterministic graphs only (their results are compared). */
const DEPLOYED: Readonly<Record<string, string>> = {
  'loan-approval': 'loan-approval.json',
  shipping: 'decision-table-shipping.json',
  'pricing/merch-bags': 'merch-bags.json',
  'expression-default': 'expression-default.json',
  'expression-passthrough': 'expression-passthrough.json',
  'nested-request': 'nested-request.json',
  'multi-switch': 'multi-switch.json',
  'set-fee': 'set-fee.json',
  'table-loop': 'table-loop.json',
  aml: 'aml.json',
  'expression-table-map': 'expression-table-map.json',
  'realtime-fraud-detection': 'realtime-fraud-detection.json',
  'customer-eligibility-engine': 'customer-eligibility-engine.json',
  'empty-column-with-space': 'empty-column-with-space.json',
  table: 'engine-cases/table.json',
  'switch-node': 'engine-cases/switch-node.json',
  function: 'engine-cases/function.json',
  'infinite-function': 'engine-cases/infinite-function.json',
  '$nodes-parent': 'engine-cases/$nodes-parent.json',
  '$nodes-child': 'engine-cases/$nodes-child.json',
  'recursive-table1': 'engine-cases/recursive-table1.json',
  'recursive-table2': 'engine-cases/recursive-table2.json',
};

export interface DeployedDecision {
  readonly key: string;
  readonly inputs: readonly Record<string, unknown>[];
}

export interface SeededEnvironment {
  readonly project: string;
  readonly env: string;
  readonly token: string;
}

export interface Seed {
  /** Evaluated by the fuzzer: corpus decisions, deployed to prod and staging (v1) and dev (v2). */
  readonly main: string;
  /** Where most fuzzed writes go. */
  readonly scratch: string;
  /** Target of package applies. */
  readonly pkg: string;
  /** A project with nothing in it. */
  readonly empty: string;
  readonly projects: readonly string[];
  readonly decisions: readonly DeployedDecision[];
  readonly decisionKeys: readonly string[];
  readonly environments: readonly SeededEnvironment[];
  /** Environment keys per project. */
  readonly envKeys: Readonly<Record<string, readonly string[]>>;
  readonly releases: Readonly<Record<string, readonly { id: string; label: string }[]>>;
  readonly apiTokens: Readonly<Record<Role, string>>;
  readonly revokedApiToken: string;
  readonly revokedEvalToken: string;
  /** Tokens the fuzzer may revoke (their ids): real ids hit the revoke path without losing the tokens it uses. */
  readonly sacrificialApiTokenIds: readonly string[];
  readonly sacrificialEvalTokens: readonly { project: string; env: string; id: string }[];
  readonly unknownUuid: string;
  /** Packages exported from the server (signed with its key): bases for mutation. */
  readonly packages: { readonly main: Buffer; readonly pkg: Buffer };
  readonly corpus: readonly CorpusGraph[];
}

/** Seeds a fresh server through its API: projects, corpus decisions, releases, environments, deployments, tokens of every kind. */
export async function seedServer(api: Api, log: (line: string) => void): Promise<Seed> {
  const corpus = loadCorpus();
  const byName = new Map(corpus.map((g) => [g.name, g]));
  const main = 'fuzz';
  const scratch = 'scratch';
  const pkg = 'pkg';
  const empty = 'empty';
  for (const key of [main, scratch, pkg, empty]) await api.call('POST', '/api/projects', { key, name: `Fuzz ${key}` });

  const decisions: DeployedDecision[] = [];
  const deployed = Object.entries(DEPLOYED).map(([key, file]) => {
    const graph = byName.get(file);
    if (!graph) throw new Error(`corpus file ${file} not found`);
    return { key, file, graph };
  });
  try {
    // One request, one transaction: much quicker than one save each.
    await api.call('POST', `/api/projects/${main}/decisions`, { decisions: deployed.map((d) => ({ key: d.key, content: d.graph.doc })), message: 'seed' });
    for (const d of deployed) decisions.push({ key: d.key, inputs: d.graph.inputs.length ? d.graph.inputs : [{}] });
  } catch {
    for (const { key, file, graph } of deployed) {
      try {
        await api.call('PUT', `/api/projects/${main}/decisions/${encodeURIComponent(key)}`, { content: graph.doc, message: `seed ${file}` });
        decisions.push({ key, inputs: graph.inputs.length ? graph.inputs : [{}] });
      } catch (error) {
        log(`seed: ${file} refused as '${key}' (${(error as Error).message.slice(0, 200)}); left out`);
      }
    }
  }
  const release = (project: string, label?: string) => api.call<{ id: string; label: string }>('POST', `/api/projects/${project}/releases`, label ? { label } : {});
  const v1 = await release(main);
  // v2 differs: one decision changed, for dev.
  await api.call('PUT', `/api/projects/${main}/decisions/expression-default`, { content: byName.get('expression-passthrough.json')!.doc });
  const v2 = await release(main, 'fuzz-2');
  const envKeys: Record<string, string[]> = { [main]: ['prod', 'staging', 'dev', 'idle'], [scratch]: ['test'], [pkg]: ['prod'], [empty]: [] };
  for (const [project, envs] of Object.entries(envKeys)) for (const key of envs) await api.call('POST', `/api/projects/${project}/environments`, { key });
  const deploy = (project: string, env: string, releaseRef: string) => api.call('POST', `/api/projects/${project}/environments/${env}/deployments`, { release: releaseRef });
  await deploy(main, 'prod', v1.id);
  await deploy(main, 'staging', v1.id);
  await deploy(main, 'dev', v2.id);

  for (const file of ['table-loop.json', 'expression-fields.json']) {
    await api.call('PUT', `/api/projects/${scratch}/decisions/${file.replace('.json', '')}`, { content: byName.get(file)!.doc });
    await api.call('PUT', `/api/projects/${pkg}/decisions/${file.replace('.json', '')}`, { content: byName.get(file)!.doc });
  }
  const s1 = await release(scratch);
  await deploy(scratch, 'test', s1.id);
  const p1 = await release(pkg);
  await deploy(pkg, 'prod', p1.id);

  const evalToken = (project: string, env: string, name = 'fuzz') =>
    api.call<{ id: string; token: string }>('POST', `/api/projects/${project}/environments/${env}/tokens`, { name });
  const environments: SeededEnvironment[] = [];
  for (const [project, env] of [
    [main, 'prod'],
    [main, 'staging'],
    [main, 'dev'],
    [main, 'idle'],
    [scratch, 'test'],
  ] as const) {
    environments.push({ project, env, token: (await evalToken(project, env)).token });
  }
  const revokedEval = await evalToken(main, 'prod', 'revoked');
  await api.call('DELETE', `/api/projects/${main}/environments/prod/tokens/${revokedEval.id}`);
  const sacrificialEvalTokens: { project: string; env: string; id: string }[] = [];
  for (let i = 0; i < 3; i++) sacrificialEvalTokens.push({ project: scratch, env: 'test', id: (await evalToken(scratch, 'test', `sacrifice-${i}`)).id });

  const apiToken = (role: Role, name: string) => api.call<{ id: string; token: string }>('POST', '/api/tokens', { name, role });
  const apiTokens = {} as Record<Role, string>;
  for (const role of ['admin', 'editor', 'deployer', 'viewer'] as const) apiTokens[role] = (await apiToken(role, `fuzz ${role}`)).token;
  const revoked = await apiToken('editor', 'fuzz revoked');
  await api.call('DELETE', `/api/tokens/${revoked.id}`);
  const sacrificialApiTokenIds: string[] = [];
  for (let i = 0; i < 3; i++) sacrificialApiTokenIds.push((await apiToken('viewer', `sacrifice-${i}`)).id);

  const packages = {
    main: await api.bytes(`/api/projects/${main}/releases/${v1.id}/package`),
    pkg: await api.bytes(`/api/projects/${pkg}/releases/${p1.id}/package`),
  };
  return {
    main,
    scratch,
    pkg,
    empty,
    projects: [main, scratch, pkg, empty],
    decisions,
    decisionKeys: decisions.map((d) => d.key),
    environments,
    envKeys,
    releases: { [main]: [v1, v2], [scratch]: [s1], [pkg]: [p1], [empty]: [] },
    apiTokens,
    revokedApiToken: revoked.token,
    revokedEvalToken: revokedEval.token,
    sacrificialApiTokenIds,
    sacrificialEvalTokens,
    unknownUuid: '00000000-0000-4000-8000-000000000000',
    packages,
    corpus,
  };
}
