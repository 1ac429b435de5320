import { AppError, badRequest } from '../../errors.js';
import { describeJsonProblem, jsonProblem, type JsonLimits } from '../../lib/json-limits.js';
import type { DecisionsService } from '../decisions/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { ReleasesService } from '../releases/service.js';
import { subDecisionReferences, type JdmDocument } from '../../lib/jdm.js';
import { normalizeDecisionKey, parseDecisionKey } from '../../lib/decision-keys.js';
import { EngineFailure } from '../../data-plane/engine/host-errors.js';
import type { EngineResponse } from '../../data-plane/engine/protocol.js';
import { engineError } from '../../data-plane/engine/engine-errors.js';
import type { SimulateBody } from './schemas.js';

/** The engine as the simulator uses it: a draft and its sub-decisions, evaluated in isolation. */
export interface DraftEngine {
  simulate(decisions: readonly { key: string; content: JdmDocument }[], key: string, context: unknown, trace: boolean): Promise<EngineResponse>;
}

/** Sub-decisions nest at most this deep in the engine; loading more would be wasted. */
const MAX_SUB_DECISION_DEPTH = 5;
const MAX_SUB_DECISIONS = 200;

/**
 * Evaluates a draft graph or any stored decision version for editors, with trace. Unlike the data
 * plane it reads the database: the decision and every sub-decision it can reach are read first
 * (from a release or the latest versions), then evaluated together in the engine's isolated lane,
 * where a draft that loops or crashes the engine cannot touch deployed decisions.
 */
export class SimulatorService {
  constructor(
    private readonly services: { readonly projects: ProjectsService; readonly decisions: DecisionsService; readonly releases: ReleasesService },
    private readonly engine: DraftEngine,
    private readonly limits: JsonLimits,
  ) {}

  async simulate(projectKey: string, body: SimulateBody): Promise<{ result: unknown; performance: string; trace?: unknown }> {
    if ((body.content === undefined) === (body.key === undefined)) {
      throw badRequest('give either content (a draft graph) or key (a stored decision), not both');
    }
    if (body.version !== undefined && (body.key === undefined || body.release !== undefined)) {
      throw badRequest('version needs key and no release');
    }
    const contextProblem = jsonProblem(body.context, this.limits);
    if (contextProblem) throw badRequest(describeJsonProblem(contextProblem, 'the context'));
    await this.services.projects.get(projectKey);
    const read = (key: string): Promise<JdmDocument | undefined> =>
      body.release
        ? this.services.releases.decision(projectKey, body.release, key).then((d) => d.content)
        : this.services.decisions.get(projectKey, key).then((d) => (d.content ?? undefined) as JdmDocument | undefined);
    // A missing sub-decision is the engine's to report (it names the node that calls it).
    const readSub = (key: string) =>
      read(key).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'not-found') return undefined;
        throw error;
      });

    let doc: JdmDocument;
    let name: string;
    if (body.content) {
      doc = body.content as JdmDocument;
      name = 'draft';
      await this.services.decisions.validate([{ key: name, content: doc }]);
    } else {
      name = parseDecisionKey(body.key!);
      const found =
        body.version !== undefined ? ((await this.services.decisions.get(projectKey, name, body.version)).content as JdmDocument | null) : await read(name);
      if (!found) throw new AppError('not-found', body.version !== undefined ? `version ${body.version} of '${name}' is a deletion` : `decision '${name}' is deleted`);
      doc = found;
    }

    const decisions = await this.#withSubDecisions(name, doc, readSub);
    const nodes = new Map(decisions.flatMap((d) => d.content.nodes.map((n) => [n.id, { decision: d.key, name: n.name ?? n.id, type: n.type }] as const)));
    try {
      const response = await this.engine.simulate(decisions, name, body.context, body.trace);
      return { result: response.result, performance: response.performance, ...(body.trace ? { trace: response.trace } : {}) };
    } catch (error) {
      if (error instanceof EngineFailure) throw engineError(error, (id) => nodes.get(id), name);
      throw error;
    }
  }

  /** The graph and every sub-decision reachable from it (as deep as the engine follows them). */
  async #withSubDecisions(
    name: string,
    doc: JdmDocument,
    load: (key: string) => Promise<JdmDocument | undefined>,
  ): Promise<{ key: string; content: JdmDocument }[]> {
    const found = new Map<string, JdmDocument>([[name, doc]]);
    let frontier = [doc];
    for (let depth = 0; depth < MAX_SUB_DECISION_DEPTH && frontier.length > 0; depth++) {
      const next: JdmDocument[] = [];
      for (const graph of frontier) {
        for (const ref of subDecisionReferences(graph)) {
          const key = normalizeDecisionKey(ref.reference);
          if (found.has(key) || found.size >= MAX_SUB_DECISIONS) continue;
          const sub = await load(key);
          if (!sub) continue; // the engine says which one is missing, naming the node
          found.set(key, sub);
          next.push(sub);
        }
      }
      frontier = next;
    }
    return [...found].map(([key, content]) => ({ key, content }));
  }
}
