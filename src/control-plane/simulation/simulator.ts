import { AppError, badRequest } from '../../errors.js';
import { describeJsonProblem, jsonProblem, type JsonLimits } from '../../lib/json-limits.js';
import type { DecisionsService } from '../decisions/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { ReleasesService } from '../releases/service.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { normalizeDecisionKey, parseDecisionKey } from '../../lib/decision-keys.js';
import { compileGraph, EngineError, EngineWouldCrash, evaluateTimed } from '../../compiled/index.js';
import { DraftGraph, withSubDecisions, type DraftEngine } from './drafts.js';
import type { SimulateBody } from './schemas.js';

export type { DraftEngine };

/** The draft through its compiled form, or undefined (refused, or not sure of these values): zen-engine then. */
function simulateCompiled(draft: DraftGraph, context: unknown): { result: unknown; performance: string } | undefined {
  const graphs = new Map(draft.decisions.map((d) => [d.key, d.content]));
  const compiled = compileGraph(graphs.get(draft.key), (key) => graphs.get(normalizeDecisionKey(key)));
  if (compiled.kind !== 'compiled') return undefined;
  try {
    return evaluateTimed(compiled, context);
  } catch (error) {
    // Never send to zen-engine what would abort its process (EngineWouldCrash).
    if (error instanceof EngineError || error instanceof EngineWouldCrash) throw new AppError('evaluation-failed', `decision '${draft.key}': ${error.message}`);
    return undefined;
  }
}

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

  async simulate(projectKey: string, body: SimulateBody, engine: 'auto' | 'zen' = 'auto'): Promise<{ result: unknown; performance: string; trace?: unknown; engine: 'compiled' | 'zen' }> {
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

    const draft = new DraftGraph(await withSubDecisions(name, doc, readSub), name);
    // Traces keep the engine's shape: only untraced simulations may run compiled.
    const compiled = engine === 'auto' && !body.trace ? simulateCompiled(draft, body.context) : undefined;
    if (compiled) return { ...compiled, engine: 'compiled' };
    const response = await draft.evaluate(this.engine, body.context, body.trace);
    return { result: response.result, performance: response.performance, ...(body.trace ? { trace: response.trace } : {}), engine: 'zen' };
  }
}
