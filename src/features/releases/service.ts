import type { Queryable } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { Actor } from '../../lib/actor.js';
import { contentHash } from '../../lib/hash.js';
import { isUniqueViolation } from '../../lib/pg-errors.js';
import { AppError, badRequest, conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import { subDecisionReferences } from '../decisions/jdm.js';
import { normalizeDecisionKey, parseDecisionKey } from '../decisions/keys.js';
import type { DecisionsService } from '../decisions/service.js';
import type { Project } from '../projects/schemas.js';
import type { ProjectsService } from '../projects/service.js';
import type { CreateRelease, Release, ReleaseDetail, ReleaseDiff, ReleaseEntry } from './schemas.js';
import {
  findLatestRelease,
  findReleaseById,
  findReleaseByLabel,
  insertRelease,
  listReleases,
  nextReleaseSeq,
  releaseContents,
  releaseEntries,
  type ReleasedDecision,
} from './store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The release content hash: over (key, content hash) pairs in code-unit key order, whatever the DB collation. */
export function releaseContentHash(entries: readonly ReleaseEntry[]): string {
  const pairs = entries.map((e) => ({ key: e.key, contentHash: e.contentHash })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return contentHash(pairs);
}

export class ReleasesService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly decisions: DecisionsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Cuts an immutable release from the project's current decision versions. Every sub-decision a
   * graph calls must be in the release, since evaluation resolves them from the same release.
   */
  async create(actor: Actor, projectKey: string, input: CreateRelease): Promise<ReleaseDetail> {
    if (input.label !== undefined) checkLabel(input.label);
    try {
      return await this.db.transaction(async (tx) => {
        const project = await this.projects.get(projectKey, tx);
        await this.projects.lock(tx, project); // serialises release numbering per project
        const current = await this.decisions.current(tx, project.id);
        if (current.length === 0) {
          throw new AppError('invalid-release', `project '${projectKey}' has no decisions; push at least one before cutting a release`);
        }
        const keys = new Set(current.map((d) => d.key));
        const missing = current.flatMap((d) =>
          subDecisionReferences(d.content)
            .filter((ref) => !keys.has(normalizeDecisionKey(ref.reference)))
            .map((ref) => ({ decision: d.key, ...ref })),
        );
        if (missing.length > 0) {
          const first = missing[0]!;
          throw new AppError(
            'invalid-release',
            `decision '${first.decision}', node '${first.nodeName}' (id ${first.nodeId}) calls sub-decision '${first.reference}', which is not in the project` +
              (missing.length > 1 ? ` (and ${missing.length - 1} more missing references)` : ''),
            { errors: missing },
          );
        }
        const entries = current.map((d) => ({ key: d.key, version: d.version, contentHash: d.contentHash, decisionId: d.decisionId }));
        const seq = await nextReleaseSeq(tx, project.id);
        const release = await insertRelease(
          tx,
          {
            projectId: project.id,
            seq,
            label: input.label ?? `v${seq}`,
            contentHash: releaseContentHash(entries),
            notes: input.notes ?? '',
            createdBy: actor.name,
          },
          entries,
        );
        await this.audit.record(tx, actor, {
          action: 'release.create',
          targetType: 'release',
          target: release.label,
          projectKey,
          afterHash: release.contentHash,
          details: { releaseId: release.id, decisions: entries.length },
        });
        return { ...release, decisions: entries.map(({ decisionId: _id, ...e }) => e) };
      });
    } catch (error) {
      if (input.label !== undefined && isUniqueViolation(error, 'releases_project_id_label_key')) {
        throw conflict(`project '${projectKey}' already has a release labelled '${input.label}'`);
      }
      throw error;
    }
  }

  async list(projectKey: string): Promise<Release[]> {
    const project = await this.projects.get(projectKey);
    return listReleases(this.db.sql, project.id);
  }

  async get(projectKey: string, ref: string): Promise<ReleaseDetail> {
    const project = await this.projects.get(projectKey);
    const release = await this.resolve(this.db.sql, project, ref);
    return { ...release, decisions: await releaseEntries(this.db.sql, release.id) };
  }

  /** Finds a release by id, label or 'latest', answering 404 with what was asked for. */
  async resolve(q: Queryable, project: Project, ref: string): Promise<Release> {
    const release =
      ref === 'latest'
        ? await findLatestRelease(q, project.id)
        : UUID.test(ref)
          ? await findReleaseById(q, project.id, ref.toLowerCase())
          : await findReleaseByLabel(q, project.id, ref);
    if (!release) {
      throw notFound(ref === 'latest' ? `project '${project.key}' has no releases yet` : `project '${project.key}' has no release '${ref}'`);
    }
    return release;
  }

  /** What changed from `baseRef` to `targetRef`. */
  async diff(projectKey: string, targetRef: string, baseRef: string): Promise<ReleaseDiff> {
    const project = await this.projects.get(projectKey);
    const [target, base] = await Promise.all([this.resolve(this.db.sql, project, targetRef), this.resolve(this.db.sql, project, baseRef)]);
    const [targetEntries, baseEntries] = await Promise.all([releaseEntries(this.db.sql, target.id), releaseEntries(this.db.sql, base.id)]);
    const before = new Map(baseEntries.map((e) => [e.key, e]));
    const after = new Map(targetEntries.map((e) => [e.key, e]));
    const changed: ReleaseDiff['changed'] = [];
    let unchanged = 0;
    for (const [key, now] of after) {
      const then = before.get(key);
      if (!then) continue;
      if (then.contentHash === now.contentHash) unchanged++;
      else changed.push({ key, baseVersion: then.version, targetVersion: now.version, baseHash: then.contentHash, targetHash: now.contentHash });
    }
    return {
      base: { id: base.id, label: base.label },
      target: { id: target.id, label: target.label },
      added: targetEntries.filter((e) => !before.has(e.key)),
      removed: baseEntries.filter((e) => !after.has(e.key)),
      changed,
      unchanged,
    };
  }

  /** One decision's content as released. */
  async decision(projectKey: string, ref: string, rawKey: string): Promise<ReleasedDecision & { release: { id: string; label: string } }> {
    const key = parseDecisionKey(rawKey);
    const project = await this.projects.get(projectKey);
    const release = await this.resolve(this.db.sql, project, ref);
    const [found] = await releaseContents(this.db.sql, release.id, key);
    if (!found) throw notFound(`release '${release.label}' does not contain decision '${key}'`);
    return { ...found, release: { id: release.id, label: release.label } };
  }

  /** Every decision of a release with content (for evaluation and export). */
  contents(q: Queryable, releaseId: string): Promise<ReleasedDecision[]> {
    return releaseContents(q, releaseId);
  }
}

function checkLabel(label: string): void {
  if (label === 'latest') throw badRequest("'latest' is reserved; it always means the newest release");
  if (/^v\d+$/.test(label)) throw badRequest(`'${label}': labels of the form v<number> are given automatically (v<sequence>); choose another label`);
  if (UUID.test(label)) throw badRequest('a release label cannot look like a release id (UUID)');
}
