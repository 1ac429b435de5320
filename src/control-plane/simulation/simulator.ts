import { AppError, badRequest } from '../../errors.js';
import { describeJsonProblem, jsonProblem, type JsonLimits } from '../../lib/json-limits.js';
import type { DecisionsService } from '../decisions/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { ReleasesService } from '../releases/service.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { parseDecisionKey } from '../../lib/decision-keys.js';
import { DraftGraph, withSubDecisions, type DraftEngine } from './drafts.js';
import type { SimulateBody } from './schemas.js';

export type { DraftEngine };

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

    const draft = new DraftGraph(await withSubDecisions(name, doc, readSub), name);
    const response = await draft.evaluate(this.engine, body.context, body.trace);
    return { result: response.result, performance: response.performance, ...(body.trace ? { trace: response.trace } : {}) };
  }
}
