import type { Queryable } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { contentHash } from '../../lib/hash.js';
import { badRequest, conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { ProjectsService } from '../projects/service.js';
import type { WebhookEmitter, WebhookEvent } from '../webhooks/events.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { normalizeDecisionKey, parseDecisionKey } from '../../lib/decision-keys.js';
import { isUniqueViolation } from '../../lib/pg-errors.js';
import { subDecisionReferences } from '../../lib/jdm.js';
import { diffDecisionContent } from '../content-diff/graph-diff.js';
import type {
  DecisionDiff,
  DecisionVersion,
  DecisionVersionSummary,
  RenameDecision,
  RenameDecisionResult,
  SaveDecision,
  SaveDecisionResult,
  SaveDecisions,
  SaveDecisionsResult,
} from './schemas.js';
import {
  currentDecisions,
  decisionsCallingOthers,
  findDecision,
  getVersion,
  insertDecision,
  insertVersion,
  listLatest,
  listVersions,
  lockDecision,
  setDecisionKey,
  versionSummary,
  type CurrentDecision,
  type DecisionRow,
} from './store.js';
import { assertValidDecisions, type JdmChecker, type JdmLimits } from './validate.js';

type Compared = DecisionVersion & { content: JdmDocument; contentHash: string };

export class DecisionsService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEmitter,
    private readonly checker: JdmChecker,
    private readonly limits: JdmLimits,
  ) {}

  /**
   * Saves a new immutable version after validating the graph. Saving content equal to the latest
   * version is a no-op (`unchanged`), so pushing the same folder twice makes no new versions.
   */
  async save(actor: Actor, projectKey: string, rawKey: string, input: SaveDecision, idempotency?: IdempotencyContext): Promise<SaveDecisionResult> {
    const result = await this.saveMany(actor, projectKey, {
      decisions: [{ key: rawKey, content: input.content, ...(input.baseVersion === undefined ? {} : { baseVersion: input.baseVersion }) }],
      ...(input.message === undefined ? {} : { message: input.message }),
    }, idempotency);
    return result.results[0]!;
  }

  /** Saves many decisions in one transaction: all are validated first, and either all land or none. */
  async saveMany(actor: Actor, projectKey: string, input: SaveDecisions, idempotency?: IdempotencyContext): Promise<SaveDecisionsResult> {
    const items = input.decisions.map((d) => ({ ...d, key: parseDecisionKey(d.key), content: d.content as JdmDocument }));
    const seen = new Set<string>();
    for (const item of items) {
      if (seen.has(item.key)) throw badRequest(`decision '${item.key}' appears more than once in the request`);
      seen.add(item.key);
    }
    await assertValidDecisions(items, this.checker, this.limits); // before any database lock is taken
    const prepared = items.map((item) => ({ ...item, hash: contentHash(item.content) }));
    const order = new Map(items.map((item, i) => [item.key, i]));
    const results = await this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const saved = await this.saveInTransaction(tx, actor, project, prepared, input.message ?? '');
      return saved.map(({ decisionId: _id, ...r }) => r).sort((a, b) => order.get(a.key)! - order.get(b.key)!); // answer in request order
    }, { idempotency });
    const changed = results.filter((r) => !r.unchanged).length;
    return { saved: changed, unchanged: results.length - changed, results };
  }

  /** JDM validation of many graphs (422 naming decision, node, rule and column). */
  validate(items: readonly { key: string; content: JdmDocument }[]): Promise<void> {
    return assertValidDecisions(items, this.checker, this.limits);
  }

  /**
   * Saves validated decisions inside the caller's transaction, in key order (so concurrent batches
   * cannot deadlock); a decision whose latest version has the same content keeps that version.
   */
  async saveInTransaction(
    tx: Queryable,
    actor: Actor,
    project: { id: string; key: string },
    items: readonly { key: string; content: JdmDocument; hash: string; baseVersion?: number | undefined }[],
    message: string,
  ): Promise<(SaveDecisionResult & { decisionId: string })[]> {
    const sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const saved: (SaveDecisionResult & { decisionId: string })[] = [];
    for (const item of sorted) saved.push(await this.#saveOne(tx, actor, project, item, message));
    return saved;
  }

  async #saveOne(
    tx: Queryable,
    actor: Actor,
    project: { id: string; key: string },
    item: { key: string; content: JdmDocument; hash: string; baseVersion?: number | undefined },
    message: string,
  ): Promise<SaveDecisionResult & { decisionId: string }> {
    const { key, hash } = item;
    const { id: projectId, key: projectKey } = project;
    const existing = await lockDecision(tx, projectId, key);
    const decision = existing ? { ...existing, isNew: false } : await this.#create(tx, projectId, key);
    const latest = decision.isNew ? undefined : await versionSummary(tx, decision, decision.latestVersion);
    const current = latest?.deleted ? undefined : latest;
    if (item.baseVersion !== undefined && item.baseVersion !== (latest?.version ?? 0)) {
      throw conflict(
        `decision '${key}' is at version ${latest?.version ?? 0}, not ${item.baseVersion}: someone saved in between; reload and merge`,
        { latestVersion: latest?.version ?? 0 },
      );
    }
    if (current && current.contentHash === hash) return { ...current, unchanged: true, decisionId: decision.id };
    const saved = await insertVersion(tx, {
      decisionId: decision.id,
      key,
      version: decision.isNew ? 1 : decision.latestVersion + 1,
      content: item.content,
      contentHash: hash,
      author: actor.name,
      message,
    });
    await this.audit.record(tx, actor, {
      action: 'decision.save',
      targetType: 'decision',
      target: key,
      projectKey,
      beforeHash: current?.contentHash ?? null,
      afterHash: hash,
      details: { version: saved.version },
    });
    await this.#emitSaved(tx, project, { key, version: saved.version, contentHash: hash, change: 'save', author: actor.name, message });
    return { ...saved, unchanged: false, decisionId: decision.id };
  }

  /** Deletes by saving a tombstone version: history stays, releases made before keep the decision. */
  async delete(actor: Actor, projectKey: string, rawKey: string, idempotency?: IdempotencyContext): Promise<DecisionVersionSummary> {
    const key = parseDecisionKey(rawKey);
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const decision = await lockDecision(tx, project.id, key);
      if (!decision || decision.deleted) throw notFound(`decision '${key}' does not exist in project '${projectKey}'`);
      const before = await versionSummary(tx, decision, decision.latestVersion);
      const tombstone = await insertVersion(tx, {
        decisionId: decision.id,
        key,
        version: decision.latestVersion + 1,
        content: null,
        contentHash: null,
        author: actor.name,
        message: 'deleted',
      });
      await this.audit.record(tx, actor, {
        action: 'decision.delete',
        targetType: 'decision',
        target: key,
        projectKey,
        beforeHash: before?.contentHash ?? null,
        details: { version: tombstone.version },
      });
      await this.#emitSaved(tx, project, { key, version: tombstone.version, contentHash: null, change: 'delete', author: actor.name, message: 'deleted' });
      return tombstone;
    }, { idempotency });
  }

  /**
   * Renames a decision in one transaction. Its versions move with it (they belong to the decision,
   * not to its key), and a new version with the same content records who renamed it and when;
   * releases made before keep the old key, as they froze it. Refused when the new key is taken,
   * even by a deleted decision (whose history keeps that key), and while another decision calls
   * this one as a sub-decision (the next release would miss it).
   */
  async rename(actor: Actor, projectKey: string, rawKey: string, input: RenameDecision, idempotency?: IdempotencyContext): Promise<RenameDecisionResult> {
    const from = parseDecisionKey(rawKey);
    const to = parseDecisionKey(input.to);
    if (from === to) throw badRequest(`decision '${from}' already has the key '${to}'`);
    try {
      return await this.db.transaction(async (tx) => {
        const project = await this.projects.get(projectKey, tx);
        const decision = await lockDecision(tx, project.id, from);
        if (!decision || decision.deleted) throw notFound(`decision '${from}' does not exist in project '${projectKey}'`);
        const taken = await findDecision(tx, project.id, to);
        if (taken) {
          throw conflict(
            taken.deleted
              ? `'${to}' is the key of a deleted decision, whose history keeps it; choose another key`
              : `decision '${to}' already exists in project '${projectKey}'`,
          );
        }
        await this.#refuseIfCalled(tx, project.id, from, to);
        const latest = (await getVersion(tx, decision, decision.latestVersion))!;
        await setDecisionKey(tx, decision.id, to);
        const saved = await insertVersion(tx, {
          decisionId: decision.id,
          key: to,
          version: decision.latestVersion + 1,
          content: latest.content,
          contentHash: latest.contentHash,
          author: actor.name,
          message: `renamed from ${from}`,
        });
        await this.audit.record(tx, actor, {
          action: 'decision.rename',
          targetType: 'decision',
          target: from,
          projectKey,
          beforeHash: latest.contentHash,
          afterHash: latest.contentHash,
          details: { to, version: saved.version },
        });
        await this.#emitSaved(tx, project, {
          key: to,
          version: saved.version,
          contentHash: latest.contentHash,
          change: 'rename',
          renamedFrom: from,
          author: actor.name,
          message: `renamed from ${from}`,
        });
        return { ...saved, renamedFrom: from };
      }, { idempotency });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`decision '${to}' was just created in project '${projectKey}'; choose another key`);
      throw error;
    }
  }

  /** Every new version (a save, a deletion's tombstone, a rename) is a `decision.saved` event. */
  #emitSaved(tx: Queryable, project: { id: string; key: string }, data: Extract<WebhookEvent, { type: 'decision.saved' }>['data']): Promise<string | null> {
    return this.webhooks.emit(tx, { type: 'decision.saved', project: { id: project.id, key: project.key }, data });
  }

  async #refuseIfCalled(tx: Queryable, projectId: string, from: string, to: string): Promise<void> {
    const callers = (await decisionsCallingOthers(tx, projectId)).flatMap((d) =>
      subDecisionReferences(d.content)
        .filter((ref) => normalizeDecisionKey(ref.reference) === from)
        .map((ref) => ({ decision: d.key, ...ref })),
    );
    const first = callers[0];
    if (!first) return;
    throw conflict(
      `decision '${first.decision}', node '${first.nodeName}' calls '${from}' as a sub-decision; save it calling '${to}', then rename` +
        (callers.length > 1 ? ` (and ${callers.length - 1} more callers)` : ''),
      { errors: callers.map((c) => ({ ...c, message: `calls '${c.reference}'` })) },
    );
  }

  async list(projectKey: string, options: { includeDeleted: boolean; prefix?: string | undefined }): Promise<DecisionVersionSummary[]> {
    const project = await this.projects.get(projectKey);
    return listLatest(this.db.read, project.id, options);
  }

  /** A version with content; the latest one when `version` is omitted (404 if the decision is deleted). */
  async get(projectKey: string, rawKey: string, version?: number): Promise<DecisionVersion> {
    const key = parseDecisionKey(rawKey);
    const decision = await this.#require(projectKey, key);
    if (version === undefined && decision.deleted) {
      throw notFound(`decision '${key}' was deleted (version ${decision.latestVersion}); ask for an earlier version`);
    }
    const found = await getVersion(this.db.read, decision, version ?? decision.latestVersion);
    if (!found) throw notFound(`decision '${key}' has no version ${version} (latest is ${decision.latestVersion})`);
    return found;
  }

  /**
   * What changed in a decision from version `from` to version `to` (default: the latest), node by
   * node. Both must have content: a tombstone has nothing to compare (404, like reading it).
   */
  async diff(projectKey: string, rawKey: string, from: number, to?: number): Promise<DecisionDiff> {
    const key = parseDecisionKey(rawKey);
    const decision = await this.#require(projectKey, key);
    if (to === undefined && decision.deleted) {
      throw notFound(`decision '${key}' was deleted (version ${decision.latestVersion}); compare to an earlier version with ?to=`);
    }
    const load = async (version: number): Promise<Compared> => {
      const found = await getVersion(this.db.read, decision, version);
      if (!found) throw notFound(`decision '${key}' has no version ${version} (latest is ${decision.latestVersion})`);
      if (found.content === null || found.contentHash === null) {
        throw notFound(`version ${version} of decision '${key}' is a deletion; it has no content to compare`);
      }
      return { ...found, content: found.content, contentHash: found.contentHash };
    };
    const [older, newer] = await Promise.all([load(from), load(to ?? decision.latestVersion)]);
    const summary = ({ version, contentHash, author, message, createdAt }: Compared) => ({ version, contentHash, author, message, createdAt });
    return { key, from: summary(older), to: summary(newer), diff: diffDecisionContent(older.content, newer.content) };
  }

  async history(projectKey: string, rawKey: string): Promise<DecisionVersionSummary[]> {
    const key = parseDecisionKey(rawKey);
    return listVersions(this.db.read, await this.#require(projectKey, key));
  }

  /** For releases: the decisions a release cut now would hold, inside the caller's transaction. */
  current(q: Queryable, projectId: string): Promise<CurrentDecision[]> {
    return currentDecisions(q, projectId);
  }

  async #require(projectKey: string, key: string): Promise<DecisionRow> {
    const project = await this.projects.get(projectKey);
    const decision = await findDecision(this.db.read, project.id, key);
    if (!decision) throw notFound(`decision '${key}' does not exist in project '${projectKey}'`);
    return decision;
  }

  async #create(tx: Queryable, projectId: string, key: string): Promise<DecisionRow & { isNew: boolean }> {
    const created = await insertDecision(tx, projectId, key);
    if (created) return { ...created, isNew: true };
    // A concurrent save created it between our lookup and insert: take its lock and continue.
    const existing = await lockDecision(tx, projectId, key);
    if (!existing) throw conflict(`decision '${key}' was created and removed concurrently; retry`);
    return { ...existing, isNew: false };
  }
}
