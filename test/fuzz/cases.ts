import fc from 'fast-check';
import { normalizeDecisionKey } from '../../src/lib/decision-keys.js';
import type { FuzzRequest, FuzzResponse } from './harness/http.js';
import { excerpt, parseJsonBody, sameJson, type EngineOracle, type Evaluated } from './harness/oracle.js';
import type { Api, DeployedDecision, Seed, SeededEnvironment } from './harness/seed.js';
import {
  apiAuth,
  contentType,
  evalAuth,
  extraHeaders,
  hostileApiAuth,
  hostileQueryValue,
  hostileSegment,
  hugeHeaders,
  queryString,
  segment,
  utf8Header,
  type Headers,
} from './arbitraries/http.js';
import { mutatedGraph, notAGraph, type MutatedGraph } from './arbitraries/jdm.js';
import {
  Members,
  Raw,
  brokenJsonText,
  deepValue,
  hostileKey,
  hostileObject,
  hostileScalar,
  hostileString,
  hostileValue,
  hugeString,
  nested,
  toJsonText,
  type Json, sometimes } from './arbitraries/json.js';
import { zipRecipe, type ZipFactory, type ZipRecipe } from './arbitraries/zip.js';

export interface RunContext {
  readonly seed: Seed;
  readonly oracle: EngineOracle;
  /** Admin API client, for read-backs. */
  readonly api: Api;
  readonly zips: ZipFactory;
}

export interface FuzzCase {
  readonly entry: string;
  /** What the case is, for a failure report. */
  readonly label: string;
  readonly request: FuzzRequest | ((ctx: RunContext) => Promise<FuzzRequest>);
  /** For a 2xx answer: why it is wrong, or undefined when it is right (or cannot be judged). */
  readonly check?: (response: FuzzResponse, request: FuzzRequest, ctx: RunContext) => Promise<string | undefined> | string | undefined;
  /** A 503 the route answers by contract (a health check of a node that is not a replica, say). */
  readonly designed503?: (response: FuzzResponse) => boolean;
}

export interface EntryPoint {
  readonly name: string;
  readonly weight: number;
  readonly arbitrary: fc.Arbitrary<FuzzCase>;
}

const JSON_TYPE = 'application/json';

function withBody(headers: Headers, type: string | undefined): Headers {
  return type === undefined ? headers : { ...headers, 'content-type': type };
}

const stripBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** The request body as the server parsed it (JSON.parse; Fastify's parser agrees on what it accepts). */
function sentJson(request: FuzzRequest): any {
  if (request.body === undefined) return undefined;
  return JSON.parse(stripBom(typeof request.body === 'string' ? request.body : request.body.toString('utf8')));
}

function decodeSafe(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The key path of an evaluation URL (slashes allowed, each segment encoded). */
const keyPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

function compareEvaluation(server: unknown, local: Evaluated, what: string): string | undefined {
  if (!local.ok) return `${what}: the server answered 200 with ${excerpt(JSON.stringify(server), 300)}, but zen-engine in-process fails: ${excerpt(local.error, 300)}`;
  if (!sameJson(server, local.result)) return `${what}: wrong result: server ${excerpt(JSON.stringify(server), 400)}, zen-engine ${excerpt(JSON.stringify(local.result), 400)}`;
  return undefined;
}

const hasSubDecisions = (content: unknown) => JSON.stringify(content ?? null).includes('"decisionNode"');

// ---------------------------------------------------------------------------------------------
// Evaluation contexts

type ContextMutation = { readonly op: 'drop' | 'retype' | 'add'; readonly pick: number; readonly key: string; readonly value: Json };
const contextMutation: fc.Arbitrary<ContextMutation> = fc.record({ op: fc.constantFrom<'drop' | 'retype' | 'add'>('drop', 'retype', 'add'), pick: fc.nat(), key: hostileKey, value: hostileValue });

function mutateContext(input: Record<string, unknown>, mutations: readonly ContextMutation[]): Json {
  const entries: [string, Json][] = Object.entries(structuredClone(input)) as [string, Json][];
  for (const m of mutations) {
    if (m.op === 'add' || entries.length === 0) entries.push([m.key, m.value]);
    else if (m.op === 'drop') entries.splice(m.pick % entries.length, 1);
    else entries[m.pick % entries.length]![1] = m.value;
  }
  return new Members(entries);
}

/** A context for a decision: mostly its corpus inputs (some changed), sometimes hostile. */
function contextFor(inputs: readonly Record<string, unknown>[]): fc.Arbitrary<Json> {
  const base = inputs.length ? inputs : [{}];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...base) as fc.Arbitrary<Json>, weight: 5 },
    { arbitrary: fc.tuple(fc.constantFrom(...base), fc.array(contextMutation, { minLength: 1, maxLength: 3 })).map(([i, ms]) => mutateContext(i, ms)), weight: 4 },
    { arbitrary: hostileObject, weight: 2 },
    { arbitrary: fc.tuple(hostileKey, deepValue).map(([k, v]) => new Members([[k, v]])), weight: 1 },
    { arbitrary: fc.constantFrom(61, 62, 63, 64, 65).map((d) => new Members([['a', nested(d, 'object')]])), weight: 1 },
    { arbitrary: hugeString(2_500_000).map((s) => new Members([['s', s]])), weight: 1 },
  );
}

const trace: fc.Arbitrary<Json | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 4 },
  { arbitrary: fc.boolean(), weight: 3 },
  { arbitrary: hostileScalar, weight: 1 },
);

function evaluationBody(contexts: fc.Arbitrary<Json>, batch: boolean, batchMax: number): fc.Arbitrary<string> {
  const good = batch
    ? fc.tuple(fc.array(contexts, { minLength: 1, maxLength: 8 }), trace).map(([cs, t]) => bodyText([['contexts', cs], ['trace', t]]))
    : fc.tuple(contexts, trace).map(([c, t]) => bodyText([['context', c], ['trace', t]]));
  const options: fc.WeightedArbitrary<string>[] = [
    { arbitrary: good, weight: 10 },
    {
      arbitrary: fc
        .tuple(fc.constantFrom('context', 'contexts', 'trace', 'extra', '__proto__'), hostileValue, sometimes(fc.tuple(hostileKey, hostileValue), 3))
        .map(([k, v, more]) => toJsonText(new Members([[k, v], ...(more ? [more] : [])]))),
      weight: 2,
    },
    { arbitrary: brokenJsonText, weight: 1 },
  ];
  if (batch) {
    options.push({ arbitrary: fc.integer({ min: batchMax - 1, max: batchMax + 3 }).map((n) => toJsonText({ contexts: Array.from({ length: n }, () => ({})) })), weight: 1 });
    options.push({ arbitrary: fc.constant('{"contexts":[]}'), weight: 1 });
  }
  return fc.oneof(...options);
}

function bodyText(members: readonly (readonly [string, Json | undefined])[]): string {
  return toJsonText(new Members(members.filter((m): m is [string, Json] => m[1] !== undefined)));
}

/** Variants of a decision key in an evaluation URL, with the key the server must evaluate (undefined: none). */
function evaluationKey(decisions: readonly DeployedDecision[]): fc.Arbitrary<{ path: string; key: string | undefined }> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...decisions).map((d) => ({ path: keyPath(d.key), key: d.key })), weight: 10 },
    { arbitrary: fc.constantFrom(...decisions).map((d) => ({ path: `${keyPath(d.key)}.json`, key: d.key })), weight: 1 },
    { arbitrary: fc.constantFrom(...decisions).map((d) => ({ path: `/${keyPath(d.key)}`, key: d.key })), weight: 1 },
    { arbitrary: fc.constantFrom(...decisions).map((d) => ({ path: encodeURIComponent(d.key), key: d.key })), weight: 1 },
    { arbitrary: hostileSegment.map((s) => ({ path: s, key: undefined })), weight: 1 },
    { arbitrary: fc.constantFrom('no-such-decision', 'a'.repeat(206), 'pricing/', 'x/../loan-approval').map((s) => ({ path: s, key: undefined })), weight: 1 },
  );
}

function evaluateEntry(seed: Seed, batch: boolean, batchMax: number): fc.Arbitrary<FuzzCase> {
  const name = batch ? 'evaluate-batch' : 'evaluate';
  return fc
    .tuple(
      fc.oneof({ arbitrary: fc.constantFrom(...seed.environments.filter((e) => e.project === seed.main && e.env !== 'idle')), weight: 8 }, { arbitrary: fc.constantFrom(...seed.environments), weight: 1 }),
      fc.constantFrom(...seed.decisions),
      fc.boolean(),
      sometimes(hostileSegment, 16),
      sometimes(fc.constant(true), 3),
    )
    .chain(([env, decision, envInPath, otherProject, extras]) =>
      fc
        .tuple(
          fc.oneof({ arbitrary: fc.constant({ path: keyPath(decision.key), key: decision.key as string | undefined }), weight: 3 }, { arbitrary: evaluationKey(seed.decisions), weight: 1 }),
          evaluationBody(contextFor(decision.inputs), batch, batchMax),
          evalAuth(seed, env.token),
          contentType(JSON_TYPE),
          extras ? extraHeaders : fc.constant({} as Headers),
        )
        .map(([key, body, auth, type, extra]): FuzzCase => {
          const project = otherProject ?? env.project;
          const prefix = envInPath ? `/api/projects/${project}/environments/${env.env}` : `/api/projects/${project}`;
          const path = `${prefix}/${batch ? 'evaluate-batch' : 'evaluate'}/${key.path}`;
          const request: FuzzRequest = { method: 'POST', path, headers: withBody({ ...extra, ...auth }, type), body };
          return {
            entry: name,
            label: `${name} ${env.project}/${env.env} ${key.path.slice(0, 60)}`,
            request,
            check: (response, sent, ctx) => checkEvaluation(response, sent, ctx, env, key.key, batch),
          };
        }),
    );
}

async function checkEvaluation(response: FuzzResponse, request: FuzzRequest, ctx: RunContext, env: SeededEnvironment, key: string | undefined, batch: boolean): Promise<string | undefined> {
  const answer = parseJsonBody(response) as any;
  if (!answer || typeof answer !== 'object') return `a 2xx evaluation whose body is not JSON: ${excerpt(response.body.toString('utf8'), 200)}`;
  const releaseId = answer.details?.releaseId;
  if (typeof releaseId !== 'string') return `a 2xx evaluation without details.releaseId: ${excerpt(JSON.stringify(answer), 300)}`;
  if (key === undefined) {
    const decoded = decodeSafe(request.path.split(/\/evaluate(?:-batch)?\//)[1] ?? '');
    key = decoded === undefined ? undefined : normalizeDecisionKey(decoded);
    if (!key || !ctx.seed.decisionKeys.includes(key)) return `200 for an evaluation of a decision that should not exist (${request.path.slice(0, 200)})`;
  }
  let body: any;
  try {
    body = sentJson(request);
  } catch {
    return 'the server evaluated a body that is not JSON';
  }
  if (!batch) return compareEvaluation(answer.result, await ctx.oracle.evaluateReleased(env.project, releaseId, key, body.context), `evaluation of ${key}`);
  const contexts = body.contexts as unknown[];
  if (!Array.isArray(answer.results) || answer.results.length !== contexts.length) return `a batch of ${contexts.length} answered ${answer.results?.length} results`;
  if (answer.succeeded + answer.failed !== contexts.length) return `a batch of ${contexts.length}: succeeded ${answer.succeeded} + failed ${answer.failed}`;
  for (let i = 0; i < contexts.length; i++) {
    const item = answer.results[i];
    if (item && 'result' in item) {
      const problem = compareEvaluation(item.result, await ctx.oracle.evaluateReleased(env.project, releaseId, key, contexts[i]), `batch item ${i} of ${key}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Simulation

function simulateEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const corpusInputs = new Map(seed.corpus.map((g) => [g.name, g.inputs]));
  const releaseRefs = seed.releases[seed.main]!;
  const draft = mutatedGraph(seed.corpus).chain((graph) =>
    fc.tuple(fc.constant(graph), contextFor(corpusInputs.get(graph.base) ?? [{}]), trace).map(([g, c, t]) => ({ kind: 'draft' as const, graph: g, text: bodyText([['context', c], ['content', g.doc], ['trace', t]]) })),
  );
  const stored = fc
    .tuple(
      fc.constantFrom(...seed.decisions),
      sometimes(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }) as fc.Arbitrary<Json>, weight: 4 }, { arbitrary: hostileScalar, weight: 1 }), 3),
      sometimes(fc.oneof({ arbitrary: fc.constantFrom(...releaseRefs.flatMap((r) => [r.id, r.label]), 'latest') as fc.Arbitrary<Json>, weight: 4 }, { arbitrary: hostileScalar, weight: 1 }), 2),
      trace,
      sometimes(hostileString, 8),
    )
    .chain(([decision, version, release, t, keyOverride]) =>
      contextFor(decision.inputs).map((c) => ({
        kind: 'stored' as const,
        key: keyOverride ?? decision.key,
        version,
        release,
        text: bodyText([['context', c], ['key', keyOverride ?? decision.key], ['version', version ?? undefined], ['release', release ?? undefined], ['trace', t]]),
      })),
    );
  const odd = fc.oneof(
    fc.tuple(mutatedGraph(seed.corpus), fc.constantFrom(...seed.decisionKeys)).map(([g, k]) => ({ kind: 'odd' as const, text: bodyText([['context', {}], ['content', g.doc], ['key', k]]) })),
    hostileObject.map((o) => ({ kind: 'odd' as const, text: toJsonText(o) })),
    notAGraph.map((g) => ({ kind: 'odd' as const, text: bodyText([['context', {}], ['content', g]]) })),
    brokenJsonText.map((t) => ({ kind: 'odd' as const, text: t })),
  );
  return fc
    .tuple(
      fc.oneof({ arbitrary: draft, weight: 5 }, { arbitrary: stored, weight: 3 }, { arbitrary: odd, weight: 1 }),
      apiAuth(seed, ['editor', 'admin']),
      fc.oneof({ arbitrary: fc.constant(seed.main), weight: 8 }, { arbitrary: fc.constantFrom(seed.scratch, seed.empty), weight: 1 }, { arbitrary: hostileSegment, weight: 1 }),
      contentType(JSON_TYPE),
    )
    .map(([body, auth, project, type]): FuzzCase => ({
      entry: 'simulate',
      label: `simulate ${body.kind}${body.kind === 'draft' ? ` of ${body.graph.base} ${body.graph.mutations.join('; ')}` : body.kind === 'stored' ? ` ${String(body.key).slice(0, 40)}` : ''}`,
      request: { method: 'POST', path: `/api/projects/${project}/simulate`, headers: withBody(auth, type), body: body.text },
      check: async (response, request, ctx) => {
        const answer = parseJsonBody(response) as any;
        if (!answer || typeof answer !== 'object' || !('result' in answer)) return `a 2xx simulation without a result: ${excerpt(response.body.toString('utf8'), 200)}`;
        if (project !== seed.main) return undefined; // other projects: nothing seeded to compare with
        const sent = sentJson(request);
        if (body.kind === 'draft') {
          if (hasSubDecisions(sent.content)) return undefined;
          return compareEvaluation(answer.result, await ctx.oracle.evaluateDraft(sent.content, sent.context), 'simulation of a draft');
        }
        if (body.kind !== 'stored' || typeof sent.key !== 'string') return undefined;
        const key = normalizeDecisionKey(sent.key);
        if (typeof sent.release === 'string') {
          const release = releaseRefs.find((r) => r.id === sent.release || r.label === sent.release);
          if (!release) return undefined; // 'latest' moves as the fuzzer cuts releases
          return compareEvaluation(answer.result, await ctx.oracle.evaluateReleased(seed.main, release.id, key, sent.context), `simulation of ${key}@${release.label}`);
        }
        const path = `/api/projects/${seed.main}/decisions/${encodeURIComponent(key)}${typeof sent.version === 'number' ? `/versions/${sent.version}` : ''}`;
        const stored = await ctx.api.call<{ content: unknown }>('GET', path);
        if (hasSubDecisions(stored.content)) return undefined;
        return compareEvaluation(answer.result, await ctx.oracle.evaluateDraft(stored.content, sent.context), `simulation of stored ${key}`);
      },
    }));
}

// ---------------------------------------------------------------------------------------------
// Decisions

const SCRATCH_KEYS = ['fz-a', 'fz/b', 'fz/c/d', 'table-loop', 'expression-fields', 'fz-$x', 'fz.v1', 'fz_under'] as const;

function decisionKeySegment(): fc.Arbitrary<{ path: string; key: string | undefined }> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...SCRATCH_KEYS).map((k) => ({ path: encodeURIComponent(k), key: k as string | undefined })), weight: 8 },
    { arbitrary: fc.constantFrom(...SCRATCH_KEYS).map((k) => ({ path: encodeURIComponent(`${k}.json`), key: k })), weight: 1 },
    { arbitrary: hostileSegment.map((s) => ({ path: s, key: undefined })), weight: 2 },
  );
}

function writeProject(seed: Seed): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant(seed.scratch), weight: 10 },
    { arbitrary: fc.constantFrom(seed.main, seed.pkg, seed.empty), weight: 2 },
    { arbitrary: fc.constantFrom('no-such-project', 'A', '-x'), weight: 1 },
    { arbitrary: hostileSegment, weight: 1 },
  );
}

const saveBody = (seed: Seed): fc.Arbitrary<{ text: string; graph?: MutatedGraph }> =>
  fc.oneof(
    {
      arbitrary: fc
        .tuple(
          mutatedGraph(seed.corpus),
          sometimes(fc.oneof({ arbitrary: fc.constant('saved by the fuzzer') as fc.Arbitrary<string>, weight: 3 }, { arbitrary: hostileString, weight: 1 }), 3),
          sometimes(fc.oneof({ arbitrary: fc.nat({ max: 6 }) as fc.Arbitrary<Json>, weight: 4 }, { arbitrary: hostileScalar, weight: 1 }), 4),
          sometimes(fc.tuple(hostileKey, hostileValue), 12),
        )
        .map(([graph, message, baseVersion, extra]) => ({
          graph,
          text: bodyText([['content', graph.doc], ['message', message ?? undefined], ['baseVersion', baseVersion ?? undefined], ...(extra ? [extra] : [])]),
        })),
      weight: 10,
    },
    { arbitrary: notAGraph.map((g) => ({ text: bodyText([['content', g]]) })), weight: 2 },
    { arbitrary: hostileObject.map((o) => ({ text: toJsonText(o) })), weight: 1 },
    { arbitrary: brokenJsonText.map((t) => ({ text: t })), weight: 1 },
    // Deep past every limit, where the schema does not look: only the depth checks stand in the way.
    { arbitrary: fc.constantFrom(65, 1000, 100_000, 400_000).map((d) => ({ text: `{"content":{"nodes":[],"edges":[],"x":${nested(d, 'array').text}}}` })), weight: 1 },
  );

async function checkSaved(response: FuzzResponse, request: FuzzRequest, ctx: RunContext, project: string): Promise<string | undefined> {
  const answer = parseJsonBody(response) as any;
  const results: any[] = Array.isArray(answer?.results) ? answer.results : [answer];
  const sent = sentJson(request);
  const sentDecisions: { key: string; content: unknown }[] = Array.isArray(sent?.decisions) ? sent.decisions : [{ key: '', content: sent?.content }];
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    if (!result || typeof result.key !== 'string' || typeof result.version !== 'number') return `a 2xx save without key and version: ${excerpt(JSON.stringify(answer), 300)}`;
    const content = sentDecisions.length === 1 ? sentDecisions[0]!.content : sentDecisions.find((d) => normalizeDecisionKey(String(d.key)) === result.key)?.content;
    const stored = await ctx.api.call<{ content: unknown; contentHash: string }>('GET', `/api/projects/${encodeURIComponent(project)}/decisions/${encodeURIComponent(result.key)}/versions/${result.version}`);
    if (!sameJson(stored.content, content)) {
      return `decision ${result.key} v${result.version} reads back different: sent ${excerpt(JSON.stringify(content), 300)}, stored ${excerpt(JSON.stringify(stored.content), 300)}`;
    }
    if (stored.contentHash !== result.contentHash) return `decision ${result.key} v${result.version}: saved with hash ${result.contentHash}, reads back with ${stored.contentHash}`;
  }
  return undefined;
}

function saveEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(writeProject(seed), decisionKeySegment(), saveBody(seed), apiAuth(seed, ['editor', 'admin']), contentType(JSON_TYPE), sometimes(extraHeaders, 4))
    .map(([project, key, body, auth, type, extra]): FuzzCase => ({
      entry: 'decision-save',
      label: `save ${project}/${key.path.slice(0, 60)}${body.graph ? ` from ${body.graph.base} ${body.graph.mutations.join('; ')}` : ''}`,
      request: { method: 'PUT', path: `/api/projects/${project}/decisions/${key.path}`, headers: withBody({ ...(extra ?? {}), ...auth }, type), body: body.text },
      check: (response, request, ctx) => checkSaved(response, request, ctx, decodeSafe(project) ?? project),
    }));
}

function saveManyEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const item = fc
    .tuple(
      fc.oneof({ arbitrary: fc.constantFrom(...SCRATCH_KEYS) as fc.Arbitrary<Json>, weight: 12 }, { arbitrary: hostileScalar, weight: 1 }),
      mutatedGraph(seed.corpus, 3),
      sometimes(fc.oneof({ arbitrary: fc.nat({ max: 6 }) as fc.Arbitrary<Json>, weight: 4 }, { arbitrary: hostileScalar, weight: 1 }), 6),
    )
    .map(([key, graph, baseVersion]) => new Members([['key', key], ['content', graph.doc], ...(baseVersion === null ? [] : [['baseVersion', baseVersion] as [string, Json]])]));
  const body = fc.oneof(
    { arbitrary: fc.tuple(fc.array(item, { minLength: 1, maxLength: 3 }), sometimes(hostileString, 5)).map(([items, message]) => bodyText([['decisions', items], ['message', message ?? undefined]])), weight: 8 },
    { arbitrary: fc.constantFrom('{"decisions":[]}', '{"decisions":{}}', '{}', '{"decisions":[null]}'), weight: 1 },
    { arbitrary: brokenJsonText, weight: 1 },
  );
  return fc.tuple(writeProject(seed), body, apiAuth(seed, ['editor', 'admin']), contentType(JSON_TYPE)).map(([project, text, auth, type]): FuzzCase => ({
    entry: 'decision-save-many',
    label: `save many in ${project}`,
    request: { method: 'POST', path: `/api/projects/${project}/decisions`, headers: withBody(auth, type), body: text },
    check: (response, request, ctx) => checkSaved(response, request, ctx, decodeSafe(project) ?? project),
  }));
}

// ---------------------------------------------------------------------------------------------
// Other management writes

function managementEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const project = writeProject(seed);
  const env = segment(['prod', 'staging', 'dev', 'idle', 'test', 'nope']);
  const name = fc.oneof({ arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/) as fc.Arbitrary<Json>, weight: 3 }, { arbitrary: hostileScalar, weight: 2 });
  const releaseRef = fc.oneof(
    { arbitrary: fc.constantFrom(...Object.values(seed.releases).flat().flatMap((r) => [r.id, r.label]), 'latest', seed.unknownUuid) as fc.Arbitrary<Json>, weight: 4 },
    { arbitrary: hostileScalar, weight: 1 },
  );
  const waitQuery = queryString({ wait: fc.constantFrom('replicas', 'fleet', 'none'), timeout: fc.constantFrom('0', '100', '2000', '-1', '600001') });
  const op: fc.Arbitrary<{ label: string; method: string; path: string; body?: string | undefined; roles: readonly ('admin' | 'editor' | 'deployer' | 'viewer')[] }> = fc.oneof(
    name.map((key) => ({ label: 'project create', method: 'POST', path: '/api/projects', body: bodyText([['key', key], ['name', key]]), roles: ['admin'] as const })),
    fc.tuple(project, name, sometimes(hostileScalar, 3)).map(([p, key, n]) => ({ label: 'environment create', method: 'POST', path: `/api/projects/${p}/environments`, body: bodyText([['key', key], ['name', n ?? undefined]]), roles: ['admin'] as const })),
    fc.tuple(project, sometimes(name, 2), sometimes(hostileString, 2)).map(([p, label, notes]) => ({
      label: 'release create',
      method: 'POST',
      path: `/api/projects/${p}/releases`,
      body: label === null && notes === null ? undefined : bodyText([['label', label ?? undefined], ['notes', notes ?? undefined]]),
      roles: ['editor', 'deployer', 'admin'] as const,
    })),
    fc.tuple(project, env, releaseRef, waitQuery).map(([p, e, r, q]) => ({ label: 'deploy', method: 'POST', path: `/api/projects/${p}/environments/${e}/deployments${q}`, body: bodyText([['release', r]]), roles: ['deployer', 'admin'] as const })),
    fc.tuple(project, env, sometimes(releaseRef, 2), waitQuery).map(([p, e, r, q]) => ({
      label: 'rollback',
      method: 'POST',
      path: `/api/projects/${p}/environments/${e}/rollback${q}`,
      body: r === null ? undefined : bodyText([['release', r]]),
      roles: ['deployer', 'admin'] as const,
    })),
    fc.tuple(project, env, sometimes(hostileScalar, 2)).map(([p, e, n]) => ({ label: 'eval token create', method: 'POST', path: `/api/projects/${p}/environments/${e}/tokens`, body: n === null ? undefined : bodyText([['name', n]]), roles: ['deployer', 'admin'] as const })),
    fc
      .tuple(fc.oneof(fc.constantFrom(...seed.sacrificialEvalTokens.map((t) => t.id), seed.unknownUuid), hostileSegment), fc.constantFrom(...seed.sacrificialEvalTokens))
      .map(([id, t]) => ({ label: 'eval token revoke', method: 'DELETE', path: `/api/projects/${t.project}/environments/${t.env}/tokens/${id}`, roles: ['deployer', 'admin'] as const })),
    fc.tuple(name, fc.oneof(fc.constantFrom<Json>('admin', 'editor', 'deployer', 'viewer'), hostileScalar)).map(([n, role]) => ({ label: 'api token create', method: 'POST', path: '/api/tokens', body: bodyText([['name', n], ['role', role]]), roles: ['admin'] as const })),
    fc.oneof(fc.constantFrom(...seed.sacrificialApiTokenIds, seed.unknownUuid), hostileSegment).map((id) => ({ label: 'api token revoke', method: 'DELETE', path: `/api/tokens/${id}`, roles: ['admin'] as const })),
    fc.tuple(project, decisionKeySegment()).map(([p, k]) => ({ label: 'decision delete', method: 'DELETE', path: `/api/projects/${p}/decisions/${k.path}`, roles: ['editor', 'admin'] as const })),
  );
  return op.chain((o) =>
    fc.tuple(apiAuth(seed, o.roles), sometimes(extraHeaders, 3), contentType(JSON_TYPE), sometimes(fc.oneof(hostileObject.map(toJsonText), brokenJsonText), 8)).map(([auth, extra, type, hostileBody]): FuzzCase => {
      const body = hostileBody ?? o.body;
      return {
        entry: 'management',
        label: `${o.label} ${o.path.slice(0, 80)}`,
        request: { method: o.method, path: o.path, headers: body === undefined ? { ...(extra ?? {}), ...auth } : withBody({ ...(extra ?? {}), ...auth }, type), body },
        check: (response) => (response.status === 204 || parseJsonBody(response) !== undefined ? undefined : `a 2xx whose body is not JSON: ${excerpt(response.body.toString('utf8'), 200)}`),
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Packages

function packageEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      zipRecipe(seed.corpus),
      fc.oneof({ arbitrary: fc.constantFrom(seed.pkg, seed.main), weight: 6 }, { arbitrary: fc.constantFrom(seed.scratch, 'no-such-project'), weight: 1 }, { arbitrary: hostileSegment, weight: 1 }),
      fc
        .tuple(sometimes(fc.oneof({ arbitrary: fc.constant('prod'), weight: 4 }, { arbitrary: fc.constantFrom('staging', 'nope'), weight: 1 }), 3), sometimes(fc.constantFrom('fz-label', 'v99', 'latest', 'a b'), 6), sometimes(queryString({ environment: fc.constant('prod') }), 8))
        .map(([environment, label, hostile]) => hostile ?? `?${[environment === null ? '' : `environment=${environment}`, label === null ? '' : `label=${encodeURIComponent(label)}`].filter(Boolean).join('&')}`.replace(/\?$/, '')),
      apiAuth(seed, ['admin', 'editor', 'deployer']),
      contentType('application/zip'),
    )
    .map(([recipe, project, query, auth, type]): FuzzCase => ({
      entry: 'package-apply',
      label: `apply ${describeRecipe(recipe)} to ${project}${query}`,
      request: async (ctx) => ({ method: 'POST', path: `/api/projects/${project}/packages${query}`, headers: withBody(auth, type), body: await ctx.zips.build(recipe) }),
      check: async (response, _request, ctx) => {
        const answer = parseJsonBody(response) as any;
        if (answer?.status !== 'applied' && answer?.status !== 'already-applied') return `a 2xx apply without a status: ${excerpt(response.body.toString('utf8'), 200)}`;
        const release = await ctx.api.call<{ id: string; contentHash: string }>('GET', `/api/projects/${encodeURIComponent(decodeSafe(project) ?? project)}/releases/${answer.release.id}`);
        return release.contentHash === answer.release.contentHash ? undefined : `applied release ${answer.release.id} reads back with hash ${release.contentHash}, not ${answer.release.contentHash}`;
      },
    }));
}

function describeRecipe(recipe: ZipRecipe): string {
  const text = JSON.stringify(recipe, (_k, v: unknown) =>
    v instanceof Raw ? `<raw ${v.text.length} chars>` : v instanceof Members ? `<members ${v.entries.length}>` : typeof v === 'string' && v.length > 60 ? `${v.slice(0, 40)}...(${v.length} chars)` : v,
  );
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Reads: every GET route with parameters

/** A query parameter's value, if it occurs exactly once and decodes cleanly. */
function singleParam(path: string, name: string): string | undefined {
  const query = path.split('?')[1];
  if (!query) return undefined;
  const values = query.split('&').filter((p) => p.split('=')[0] === name);
  if (values.length !== 1) return undefined;
  const raw = values[0]!.slice(name.length + 1);
  const decoded = decodeSafe(raw.replace(/\+/g, ' '));
  if (decoded === undefined || decoded.includes('\u0000') || decoded.includes('\ufffd') || /[\ud800-\udfff]/.test(decoded)) return undefined;
  return decoded;
}

const jsonBodyCheck = (response: FuzzResponse): string | undefined =>
  parseJsonBody(response) === undefined ? `a 2xx whose body is not JSON: ${excerpt(response.body.toString('utf8'), 200)}` : undefined;

function readsEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const p = segment(seed.projects);
  const key = segment([...seed.decisionKeys, ...SCRATCH_KEYS]);
  const releases = Object.values(seed.releases).flat();
  const rel = segment([...releases.flatMap((r) => [r.id, r.label]), 'latest', seed.unknownUuid]);
  const env = segment(['prod', 'staging', 'dev', 'idle', 'test']);
  const intText = (values: string[]) => fc.oneof(fc.constantFrom(...values), fc.integer({ min: -5, max: 2000 }).map(String));
  const auditQuery = queryString({
    actor: fc.constantFrom('fuzz admin', 'system', 'x'),
    action: fc.constantFrom('decision.save', 'deployment.*', 'release.create', '*', '.*', '%.*', '_.*', '\\.*'),
    project: fc.constantFrom(...seed.projects),
    target: fc.constantFrom('prod', 'loan-approval', 'x'),
    since: fc.constantFrom('2020-01-01T00:00:00Z', '2999-01-01T00:00:00Z', new Date().toISOString()),
    until: fc.constantFrom('2020-01-01T00:00:00Z', '2999-01-01T00:00:00.000+02:00'),
    before: intText(['1', '9007199254740991']),
    limit: intText(['1', '1000', '1001']),
  });
  type Route = { path: string; check?: (response: FuzzResponse, request: FuzzRequest) => string | undefined; binary?: boolean };
  const routes: fc.Arbitrary<Route>[] = [
    fc.constant({ path: '/api/projects' }),
    p.map((x) => ({ path: `/api/projects/${x}` })),
    fc.tuple(p, queryString({ includeDeleted: fc.constantFrom('true', 'false', '1', '0'), prefix: fc.constantFrom('fz', 'fz/', 'pricing/', '', '%25', '_') })).map(([x, q]) => ({
      path: `/api/projects/${x}/decisions${q}`,
      check: (response: FuzzResponse, request: FuzzRequest) => {
        const list = parseJsonBody(response) as any[];
        if (!Array.isArray(list)) return `decision list is not an array: ${excerpt(response.body.toString('utf8'), 200)}`;
        const prefix = singleParam(request.path, 'prefix');
        const wrong = prefix === undefined ? undefined : list.find((d) => !String(d.key).startsWith(prefix));
        return wrong ? `decision list with prefix '${prefix}' holds '${wrong.key}'` : undefined;
      },
    })),
    fc.tuple(p, key).map(([x, k]) => ({ path: `/api/projects/${x}/decisions/${k}` })),
    fc.tuple(p, key).map(([x, k]) => ({ path: `/api/projects/${x}/decisions/${k}/versions` })),
    fc.tuple(p, key, fc.oneof(intText(['1', '2', '0', '2147483648', '-1', '1.5', '1e3', ' 1']), hostileQueryValue)).map(([x, k, v]) => ({ path: `/api/projects/${x}/decisions/${k}/versions/${v}` })),
    p.map((x) => ({ path: `/api/projects/${x}/releases` })),
    fc.tuple(p, rel).map(([x, r]) => ({ path: `/api/projects/${x}/releases/${r}` })),
    fc.tuple(p, rel, queryString({ base: fc.constantFrom(...releases.map((r) => r.label), 'latest', seed.unknownUuid) })).map(([x, r, q]) => ({ path: `/api/projects/${x}/releases/${r}/diff${q}` })),
    fc.tuple(p, rel, key).map(([x, r, k]) => ({ path: `/api/projects/${x}/releases/${r}/decisions/${k}` })),
    fc.tuple(p, rel).map(([x, r]) => ({ path: `/api/projects/${x}/releases/${r}/package`, binary: true })),
    p.map((x) => ({ path: `/api/projects/${x}/environments` })),
    fc.tuple(p, env).map(([x, e]) => ({ path: `/api/projects/${x}/environments/${e}` })),
    fc.tuple(p, env, queryString({ limit: intText(['1', '1000', '1001', '0']) })).map(([x, e, q]) => ({
      path: `/api/projects/${x}/environments/${e}/deployments${q}`,
      check: (response: FuzzResponse, request: FuzzRequest) => {
        const list = parseJsonBody(response) as unknown[];
        const limit = Number(singleParam(request.path, 'limit'));
        return Array.isArray(list) && Number.isInteger(limit) && limit >= 1 && list.length > limit ? `deployments?limit=${limit} answered ${list.length}` : undefined;
      },
    })),
    fc.tuple(p, env).map(([x, e]) => ({ path: `/api/projects/${x}/environments/${e}/serving` })),
    fc.tuple(p, env).map(([x, e]) => ({ path: `/api/projects/${x}/environments/${e}/tokens` })),
    queryString({ since: intText(['0', '1', '9007199254740991', '9007199254740992']), limit: intText(['1', '10000', '10001']) }).map((q) => ({
      path: `/api/changes${q}`,
      check: (response: FuzzResponse, request: FuzzRequest) => {
        const answer = parseJsonBody(response) as any;
        const limit = Number(singleParam(request.path, 'limit'));
        const since = Number(singleParam(request.path, 'since'));
        if (!Array.isArray(answer?.events)) return `changes without events: ${excerpt(response.body.toString('utf8'), 200)}`;
        if (Number.isInteger(limit) && limit >= 1 && answer.events.length > limit) return `changes?limit=${limit} answered ${answer.events.length} events`;
        const early = Number.isInteger(since) ? answer.events.find((e: any) => !(Number(e.seq ?? e.id ?? Infinity) > since)) : undefined;
        return early ? `changes?since=${since} answered event ${JSON.stringify(early)}` : undefined;
      },
    })),
    auditQuery.map((q) => ({
      path: `/api/audit${q}`,
      check: (response: FuzzResponse, request: FuzzRequest) => {
        const answer = parseJsonBody(response) as any;
        if (!Array.isArray(answer?.entries)) return `audit page without entries: ${excerpt(response.body.toString('utf8'), 200)}`;
        const limit = Number(singleParam(request.path, 'limit'));
        if (Number.isInteger(limit) && limit >= 1 && answer.entries.length > limit) return `audit?limit=${limit} answered ${answer.entries.length}`;
        const project = singleParam(request.path, 'project');
        const other = project === undefined || project === '' ? undefined : answer.entries.find((e: any) => e.projectKey !== project);
        if (other) return `audit?project=${project} answered an entry of project ${JSON.stringify(other.projectKey)}`;
        const action = singleParam(request.path, 'action');
        if (action && !action.endsWith('.*')) {
          const wrong = answer.entries.find((e: any) => e.action !== action);
          if (wrong) return `audit?action=${action} answered an entry with action ${wrong.action}`;
        } else if (action?.endsWith('.*')) {
          const wrong = answer.entries.find((e: any) => !String(e.action).startsWith(action.slice(0, -1)));
          if (wrong) return `audit?action=${action} answered an entry with action ${wrong.action}`;
        }
        return undefined;
      },
    })),
    auditQuery.map((q) => ({
      path: `/api/audit.csv${q}`,
      binary: true,
      check: (response: FuzzResponse, request: FuzzRequest) => {
        if (!String(response.headers['content-type']).startsWith('text/csv')) return `audit.csv answered ${String(response.headers['content-type'])}`;
        const lines = response.body.toString('utf8').split('\r\n');
        if (!lines[0]?.startsWith('id,at,actor,')) return `audit.csv without its header row: ${excerpt(response.body.toString('utf8'), 200)}`;
        const limit = Number(singleParam(request.path, 'limit'));
        // Each row starts with its id (the seed's names hold no line ends that could look like one).
        return Number.isInteger(limit) && limit >= 1 && lines.filter((l) => /^\d+,/.test(l)).length > limit ? `audit.csv?limit=${limit} answered more rows` : undefined;
      },
    })),
    queryString({ project: fc.constantFrom(...seed.projects), includeGone: fc.constantFrom('true', 'false') }).map((q) => ({ path: `/api/fleet${q}` })),
    fc.constant({ path: '/api/tokens' }),
    fc.constant({ path: '/api/whoami' }),
    fc.constantFrom('/api', '/api/', '/api/projects/', '//api/projects', '/api/projects?', '/api/nothing', '/API/projects', '/api/projects/%2e%2e/projects', `/api/projects/${'a'.repeat(5000)}`).map((path) => ({ path })),
  ];
  return fc.tuple(fc.oneof(...routes), apiAuth(seed), sometimes(extraHeaders, 4)).map(([route, auth, extra]): FuzzCase => ({
    entry: 'reads',
    label: `GET ${route.path.slice(0, 120)}`,
    request: { method: 'GET', path: route.path, headers: { ...(extra ?? {}), ...auth } },
    check: (response, request) => (route.binary ? route.check?.(response, request) : (jsonBodyCheck(response) ?? route.check?.(response, request))),
  }));
}

// ---------------------------------------------------------------------------------------------
// Health, metrics, docs: main port and the metrics listener

function healthEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const lag = queryString({ lag: fc.constantFrom('1048576', '16MB', '16 MB', '500ms', '2s', '0', '1kB', '-1', '1e309', '999999999999999999999TB', 'ms', '5m', '1.5s') });
  const path = fc.oneof(
    fc.constantFrom('/health', '/health/live', '/health/ready', '/health/primary', '/metrics', '/openapi.json', '/docs', '/docs/', '/docs/json', '/healthz', '/health/', '/health/../metrics', '/%2e%2e/metrics'),
    lag.map((q) => `/health/replica${q}`),
    lag.map((q) => `/health/primary${q}`),
  );
  const auth = fc.oneof(
    { arbitrary: fc.constant<Headers>({}), weight: 3 },
    { arbitrary: apiAuth(seed), weight: 3 },
    { arbitrary: hostileApiAuth(seed), weight: 1 },
  );
  return fc
    .tuple(path, auth, fc.constantFrom('GET', 'GET', 'GET', 'OPTIONS', 'HEAD', 'POST'), fc.boolean())
    .map(([p, headers, method, metricsPort]): FuzzCase => ({
      entry: 'health',
      label: `${method} ${p}${metricsPort ? ' (metrics listener)' : ''}`,
      request: { method, path: p, headers, metricsPort },
      designed503: (response) => {
        // Patroni-style role checks and readiness answer 503 with their JSON body by contract.
        if (!/^\/health\/(primary|replica|ready)/.test(p) || response.status !== 503) return false;
        if (method === 'HEAD') return true;
        const body = parseJsonBody(response) as any;
        return String(response.headers['content-type'] ?? '').startsWith('application/json') && (typeof body?.role === 'string' || typeof body?.status === 'string');
      },
    }));
}

// ---------------------------------------------------------------------------------------------
// Headers: valid requests with their headers broken

function headersEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const prod = seed.environments[0]!;
  const decision = seed.decisions[0]!;
  const bases: { label: string; method: string; path: string; body?: string; type?: string; auth: Headers }[] = [
    { label: 'whoami', method: 'GET', path: '/api/whoami', auth: { authorization: `Bearer ${seed.apiTokens.viewer}` } },
    { label: 'list decisions', method: 'GET', path: `/api/projects/${seed.main}/decisions`, auth: { authorization: `Bearer ${seed.apiTokens.viewer}` } },
    {
      label: 'evaluate',
      method: 'POST',
      path: `/api/projects/${prod.project}/evaluate/${keyPath(decision.key)}`,
      body: JSON.stringify({ context: decision.inputs[0] ?? {} }),
      type: JSON_TYPE,
      auth: { 'x-access-token': prod.token },
    },
    {
      label: 'save',
      method: 'PUT',
      path: `/api/projects/${seed.scratch}/decisions/fz-headers`,
      body: JSON.stringify({ content: seed.corpus.find((g) => g.name === 'table-loop.json')!.doc }),
      type: JSON_TYPE,
      auth: { authorization: `Bearer ${seed.apiTokens.editor}` },
    },
    { label: 'release', method: 'POST', path: `/api/projects/${seed.scratch}/releases`, body: '{}', type: JSON_TYPE, auth: { authorization: `Bearer ${seed.apiTokens.editor}` } },
  ];
  const mutation = fc.oneof(
    hostileApiAuth(seed).map((h) => ({ what: 'authorization', auth: h as Headers | undefined, extra: {} as Headers, type: undefined as string | undefined | null })),
    contentType('application/json').map((t) => ({ what: 'content-type', auth: undefined, extra: {}, type: t ?? null })),
    extraHeaders.map((h) => ({ what: 'extra', auth: undefined, extra: h, type: undefined })),
    hugeHeaders.map((h) => ({ what: 'huge', auth: undefined, extra: h, type: undefined })),
    fc.constantFrom<Headers>(
      { 'transfer-encoding': 'chunked' },
      { 'content-encoding': 'gzip' },
      { 'content-encoding': 'br, identity' },
      { 'x-access-token': 'T'.repeat(10 * 1024) },
      { 'x-access-token': utf8Header('токен') },
      { accept: 'application/xml' },
      { 'x-forwarded-for': '1.2.3.4, <script>' },
      { 'idempotency-key': ['fuzz-key-1', 'fuzz-key-2'] },
      { 'x-request-id': ['a', 'b'] },
      { host: 'evil.example' },
      { 'content-type': ['application/json', 'text/plain'] },
    ).map((h) => ({ what: 'odd', auth: undefined, extra: h, type: undefined })),
  );
  return fc.tuple(fc.constantFrom(...bases), mutation).map(([base, m]): FuzzCase => {
    const headers: Headers = { ...(m.auth ?? base.auth), ...m.extra };
    if (base.body !== undefined && m.type !== null) headers['content-type'] ??= m.type ?? base.type!;
    return {
      entry: 'headers',
      label: `${base.label} with ${m.what} ${excerpt(JSON.stringify(m.auth ?? m.extra ?? m.type), 100)}`,
      request: { method: base.method, path: base.path, headers, body: base.body },
      check:
        base.label === 'evaluate'
          ? (response, request, ctx) => checkEvaluation(response, request, ctx, prod, decision.key, false)
          : base.label === 'save'
            ? (response, request, ctx) => checkSaved(response, request, ctx, seed.scratch)
            : jsonBodyCheck,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Idempotency keys: replays, reuse for other requests, deep bodies with a key

function idempotencyEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const bodies = [
    JSON.stringify({ content: seed.corpus.find((g) => g.name === 'table-loop.json')!.doc }),
    JSON.stringify({ content: seed.corpus.find((g) => g.name === 'expression-fields.json')!.doc }),
    `{"content":{"nodes":[],"edges":[],"x":${nested(100_000, 'array').text}}}`,
    `{"content":{"nodes":[],"edges":[],"x":${nested(70, 'object').text}}}`,
    `{"content":{"nodes":[],"edges":[],"x":${nested(400_000, 'mixed').text}}}`,
  ];
  return fc
    .tuple(
      fc.constantFrom('fuzz-idem-1', 'fuzz-idem-2', 'fuzz-idem-3'),
      fc.nat({ max: bodies.length - 1 }),
      fc.constantFrom('fz-idem', 'fz-idem-2'),
      fc.constantFrom<'PUT' | 'POST'>('PUT', 'PUT', 'POST'),
      apiAuth(seed, ['editor', 'admin']),
    )
    .map(([idempotencyKey, bodyIndex, key, method, auth]): FuzzCase => {
      const path = method === 'PUT' ? `/api/projects/${seed.scratch}/decisions/${key}` : `/api/projects/${seed.scratch}/releases`;
      const body = method === 'PUT' ? bodies[bodyIndex]! : bodyIndex % 2 === 0 ? '{}' : `{"notes":${nested(bodyIndex * 50_000, 'array').text}}`;
      return {
        entry: 'idempotency',
        label: `${method} ${path} with Idempotency-Key ${idempotencyKey}, body ${bodyIndex}`,
        request: { method, path, headers: { ...auth, 'content-type': JSON_TYPE, 'idempotency-key': idempotencyKey }, body },
        check: method === 'PUT' ? (response, request, ctx) => checkSaved(response, request, ctx, seed.scratch) : jsonBodyCheck,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Malformed HTTP on a raw socket

function rawEntry(seed: Seed): fc.Arbitrary<FuzzCase> {
  const admin = seed.apiTokens.admin;
  const prod = seed.environments[0]!;
  const body = JSON.stringify({ context: seed.decisions[0]!.inputs[0] ?? {} });
  const evalPath = `/api/projects/${prod.project}/evaluate/${keyPath(seed.decisions[0]!.key)}`;
  const request = (head: string, payload = '') => Buffer.from(`${head}\r\n\r\n${payload}`, 'latin1');
  const raws: { label: string; bytes: Buffer }[] = [
    { label: 'valid GET', bytes: request('GET /health/live HTTP/1.1\r\nHost: x') },
    { label: 'valid whoami', bytes: request(`GET /api/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}`) },
    { label: 'unknown method', bytes: request('FOO /api/projects HTTP/1.1\r\nHost: x') },
    { label: 'no host', bytes: request('GET /api/projects HTTP/1.1') },
    { label: 'header without colon', bytes: request('GET /api/projects HTTP/1.1\r\nHost: x\r\nNoColonHere') },
    { label: 'obs-fold', bytes: request(`GET /api/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n ${admin}`) },
    { label: 'NUL in header', bytes: request('GET /api/projects HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b') },
    { label: 'CR in header', bytes: request('GET /api/projects HTTP/1.1\r\nHost: x\r\nX-A: a\rb') },
    { label: 'two Content-Length', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 3`, body) },
    { label: 'CL and TE', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked`, `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`) },
    { label: 'bad chunk', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`, 'zz\r\n{}\r\n0\r\n\r\n') },
    { label: 'chunked body', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`, `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`) },
    { label: 'negative length', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nContent-Length: -1`, body) },
    { label: 'huge length', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999`, body) },
    { label: 'TE gzip', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip`, body) },
    { label: 'HTTP/1.0', bytes: request('GET /api/whoami HTTP/1.0') },
    { label: 'HTTP/2 preface', bytes: Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1') },
    { label: 'absolute-form', bytes: request(`GET http://evil.example/api/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}`) },
    { label: 'asterisk', bytes: request('OPTIONS * HTTP/1.1\r\nHost: x') },
    { label: 'URL too long', bytes: request(`GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x`) },
    { label: 'pipelined', bytes: Buffer.concat([request('GET /health/live HTTP/1.1\r\nHost: x'), request('GARBAGE')]) },
    { label: 'lower-case', bytes: request('get /health/live http/1.1\r\nHost: x') },
    { label: 'space in path', bytes: request('GET /api/pro jects HTTP/1.1\r\nHost: x') },
    { label: 'raw UTF-8 in path', bytes: Buffer.from(`GET /api/projects/é😀 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n\r\n`, 'utf8') },
    { label: 'control character in path', bytes: request('GET /api/\u0001 HTTP/1.1\r\nHost: x') },
    { label: 'gzip content-encoding', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}`, body) },
    { label: 'expect continue', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}`, body) },
    { label: 'body shorter than Content-Length', bytes: request(`POST ${evalPath} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${prod.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 50}`, body) },
    { label: 'headers never end', bytes: Buffer.from('GET /api/projects HTTP/1.1\r\nHost: x\r\nX-Slow: a', 'latin1') },
  ];
  return fc.constantFrom(...raws).map(({ label, bytes }): FuzzCase => ({
    entry: 'raw-http',
    label: `raw ${label}`,
    request: { method: 'RAW', path: label, headers: {}, raw: bytes },
  }));
}

/** Every entry point, with how often it is drawn. */
export function entryPoints(seed: Seed, options: { batchMaxItems: number }): EntryPoint[] {
  return [
    { name: 'evaluate', weight: 16, arbitrary: evaluateEntry(seed, false, options.batchMaxItems) },
    { name: 'evaluate-batch', weight: 6, arbitrary: evaluateEntry(seed, true, options.batchMaxItems) },
    { name: 'simulate', weight: 8, arbitrary: simulateEntry(seed) },
    { name: 'decision-save', weight: 12, arbitrary: saveEntry(seed) },
    { name: 'decision-save-many', weight: 4, arbitrary: saveManyEntry(seed) },
    { name: 'management', weight: 8, arbitrary: managementEntry(seed) },
    { name: 'package-apply', weight: 7, arbitrary: packageEntry(seed) },
    { name: 'reads', weight: 14, arbitrary: readsEntry(seed) },
    { name: 'health', weight: 5, arbitrary: healthEntry(seed) },
    { name: 'headers', weight: 8, arbitrary: headersEntry(seed) },
    { name: 'idempotency', weight: 3, arbitrary: idempotencyEntry(seed) },
    { name: 'raw-http', weight: 2, arbitrary: rawEntry(seed) },
  ];
}
