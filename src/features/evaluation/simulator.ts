import { randomUUID } from 'node:crypto';
import { AppError, badRequest } from '../../errors.js';
import type { Services } from '../../services.js';
import type { JdmDocument } from '../decisions/jdm.js';
import { parseDecisionKey } from '../decisions/keys.js';
import { assertValidDecisions } from '../decisions/validate.js';
import type { DecisionEngine } from './engine.js';
import type { FunctionGate } from './function-gate.js';
import { engineError } from './engine-errors.js';
import type { SimulateBody } from './schemas.js';

/**
 * Evaluates a draft graph or any stored decision version for editors, with trace. Unlike the data
 * plane it reads the database: sub-decisions resolve lazily from a release or the latest versions.
 */
export class SimulatorService {
  constructor(
    private readonly services: Services,
    private readonly engine: DecisionEngine,
    private readonly functionGate: FunctionGate,
  ) {}

  async simulate(projectKey: string, body: SimulateBody): Promise<{ result: unknown; performance: string; trace?: unknown }> {
    if ((body.content === undefined) === (body.key === undefined)) {
      throw badRequest('give either content (a draft graph) or key (a stored decision), not both');
    }
    if (body.version !== undefined && (body.key === undefined || body.release !== undefined)) {
      throw badRequest('version needs key and no release');
    }
    await this.services.projects.get(projectKey);
    const load = (key: string): Promise<JdmDocument> =>
      body.release
        ? this.services.releases.decision(projectKey, body.release, key).then((d) => d.content)
        : this.services.decisions.get(projectKey, key).then((d) => d.content as JdmDocument);

    let doc: JdmDocument;
    let name: string;
    if (body.content) {
      doc = body.content as JdmDocument;
      name = 'draft';
      await assertValidDecisions([{ key: name, content: doc }]);
    } else {
      name = parseDecisionKey(body.key!);
      doc =
        body.version !== undefined
          ? ((await this.services.decisions.get(projectKey, name, body.version)).content as JdmDocument)
          : await load(name);
      if (!doc) throw new AppError('not-found', `version ${body.version} of '${name}' is a deletion`);
    }

    const namespace = `sim:${randomUUID()}`;
    this.engine.registerResolver(namespace, (key) => load(key).catch(() => undefined));
    const nodes = new Map(doc.nodes.map((n) => [n.id, { decision: name, name: n.name ?? n.id, type: n.type }]));
    try {
      const decision = this.engine.createDecision(namespace, doc);
      // Sub-decisions load lazily here, so any simulation may run function code: always gated.
      const response = await this.functionGate.run(() => decision.evaluate(body.context, { trace: body.trace }));
      return { result: response.result, performance: response.performance, ...(body.trace ? { trace: response.trace } : {}) };
    } catch (error) {
      throw engineError(error, (id) => nodes.get(id), name);
    } finally {
      this.engine.unregister(namespace);
    }
  }
}
