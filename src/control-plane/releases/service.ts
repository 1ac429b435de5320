import type { Queryable } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { contentHash } from '../../lib/hash.js';
import { isUniqueViolation } from '../../lib/pg-errors.js';
import { AppError, badRequest, conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import { subDecisionReferences, type JdmDocument } from '../../lib/jdm.js';
import { normalizeDecisionKey, parseDecisionKey } from '../../lib/decision-keys.js';
import { diffDecisionContent } from '../content-diff/graph-diff.js';
import { DEFAULT_DIFF_LIMITS } from '../content-diff/limits.js';
import type { DecisionsService } from '../decisions/service.js';
import type { Project } from '../projects/schemas.js';
import type { ProjectsService } from '../projects/service.js';
import type { WebhookEmitter } from '../webhooks/events.js';
import type { CreateRelease, Release, ReleaseDetail, ReleaseDiff, ReleaseEntry, ReleaseTests } from './schemas.js';
import {
  findLatestRelease,
  findReleaseById,
  findReleaseByLabel,
  insertRelease,
  listReleases,
  nextReleaseSeq,
  releaseContents,
  releaseContentsOf,
  releaseEntries,
  type ReleasedDecision,
} from './store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A release diff with content lists at most MAX_CONTENT_DIFFS decisions' content diffs, sharing
 * CONTENT_DIFF_ENTRIES listed entries between them (each between MIN_ENTRIES_EACH and a single
 * diff's limit): the answer stays readable and its size bounded however many decisions changed.
 */
const MAX_CONTENT_DIFFS = 100;
const CONTENT_DIFF_ENTRIES = 5000;
const MIN_ENTRIES_EACH = 50;
/** Function code patch lines, shared the same way. */
const CONTENT_DIFF_PATCH_LINES = 4000;
const MIN_PATCH_LINES_EACH = 20;

/** The release content hash: over (key, content hash) pairs in code-unit key order, whatever the DB collation. */
export function releaseContentHash(entries: readonly Pick<ReleaseEntry, 'key' | 'contentHash'>[]): string {
  const pairs = entries.map((e) => ({ key: e.key, contentHash: e.contentHash })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return contentHash(pairs);
}

/** A decision as a release would hold it, with content. */
export type ReleaseCandidate = { readonly key: string; readonly version: number; readonly contentHash: string; readonly content: JdmDocument };

/**
 * What `requireTests` checks a release's contents with (the decision tests): the totals, and the
 * refusal to answer with when a case failed.
 */
export type ReleaseGate = (entries: readonly ReleaseCandidate[]) => Promise<{ readonly totals: ReleaseTests; readonly failure?: AppError | undefined }>;

export class ReleasesService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly decisions: DecisionsService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEmitter,
    private readonly gate?: ReleaseGate,
  ) {}

  /**
   * Cuts an immutable release from the project's current decision versions. Every sub-decision a
   * graph calls must be in the release, since evaluation resolves them from the same release.
   * With `requireTests`, see `#test`.
   */
  async create(actor: Actor, projectKey: string, input: CreateRelease, idempotency?: IdempotencyContext): Promise<ReleaseDetail> {
    if (input.label !== undefined) checkLabel(input.label);
    const tested = input.requireTests ? await this.#test(projectKey) : undefined;
    try {
      return await this.db.transaction(async (tx) => {
        const project = await this.projects.get(projectKey, tx);
        const current = await this.decisions.current(tx, project.id);
        if (tested) {
          // The release freezes `current`: it must be exactly what the tests ran on.
          assertUnchanged(tested.entries, current);
          if (tested.verdict.failure) throw tested.verdict.failure;
        }
        const release = await this.cutInTransaction(tx, actor, project, { ...(input.label === undefined ? {} : { label: input.label }), notes: input.notes ?? '', entries: current });
        return tested ? { ...release, tests: tested.verdict.totals } : release;
      }, { idempotency });
    } catch (error) {
      if (input.label !== undefined && isUniqueViolation(error, 'releases_project_id_label_key')) {
        throw conflict(`project '${projectKey}' already has a release labelled '${input.label}'`);
      }
      throw error;
    }
  }

  /**
   * The test gate runs before the write transaction, on the contents a release cut now would hold:
   * running cases takes engine time (a deadline per case), which the transaction's locks and its
   * own deadline must not wait for. The transaction then compares what it freezes with what was
   * tested, key by key and hash by hash, so the release holds exactly the tested contents or is
   * not made (409: a decision was saved meanwhile). A failure is thrown inside the transaction, not
   * here: a retried request whose release was already made gets that release (Idempotency-Key),
   * not a refusal based on what changed since.
   */
  async #test(projectKey: string): Promise<{ entries: readonly ReleaseCandidate[]; verdict: Awaited<ReturnType<ReleaseGate>> }> {
    if (!this.gate) throw new Error('releases: requireTests needs the decision tests (a ReleaseGate)');
    const project = await this.projects.get(projectKey);
    // From the primary when it is known, which is what the transaction reads: a lagging replica
    // would only make the comparison fail.
    const entries = await this.decisions.current(this.db.writerIfAny ?? this.db.read, project.id);
    return { entries, verdict: await this.gate(entries) };
  }

  /**
   * Records a release of exactly these decision versions inside the caller's transaction. Release
   * packages pass the id, label and content hash of the source release to keep them identical.
   */
  async cutInTransaction(
    tx: Queryable,
    actor: Actor,
    project: Project,
    input: {
      id?: string;
      label?: string;
      notes: string;
      expectedContentHash?: string;
      entries: readonly { key: string; version: number; contentHash: string; decisionId: string; content: JdmDocument }[];
    },
  ): Promise<ReleaseDetail> {
    await this.projects.lock(tx, project); // serialises release numbering per project
    const { entries } = input;
    if (entries.length === 0) {
      throw new AppError('invalid-release', `project '${project.key}' has no decisions; push at least one before cutting a release`);
    }
    const keys = new Set(entries.map((d) => d.key));
    const missing = entries.flatMap((d) =>
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
    const hash = releaseContentHash(entries);
    if (input.expectedContentHash !== undefined && hash !== input.expectedContentHash) {
      throw new AppError('invalid-release', `the decisions do not add up to the expected release content hash ${input.expectedContentHash}`);
    }
    let seq = await nextReleaseSeq(tx, project.id);
    // Automatic labels skip labels taken by releases applied from other instances.
    while (input.label === undefined && (await findReleaseByLabel(tx, project.id, `v${seq}`))) seq++;
    const release = await insertRelease(
      tx,
      { id: input.id, projectId: project.id, seq, label: input.label ?? `v${seq}`, contentHash: hash, notes: input.notes, createdBy: actor.name },
      entries,
    );
    await this.audit.record(tx, actor, {
      action: 'release.create',
      targetType: 'release',
      target: release.label,
      projectKey: project.key,
      afterHash: release.contentHash,
      details: { releaseId: release.id, decisions: entries.length },
    });
    await this.webhooks.emit(tx, {
      type: 'release.created',
      project,
      data: { id: release.id, label: release.label, contentHash: release.contentHash, decisions: entries.length, createdBy: actor.name, notes: input.notes },
    });
    return { ...release, decisions: entries.map((e) => ({ key: e.key, version: e.version, contentHash: e.contentHash })) };
  }

  /** A release by id, or undefined (for packages, which carry their release id). */
  findById(q: Queryable, project: Project, id: string): Promise<Release | undefined> {
    return findReleaseById(q, project.id, id);
  }

  /** Which project holds a release id, if any: release ids are unique across projects. */
  async projectOfRelease(q: Queryable, id: string): Promise<string | undefined> {
    const [row] = await q<{ key: string }[]>`SELECT p.key FROM releases r JOIN projects p ON p.id = r.project_id WHERE r.id = ${id}`;
    return row?.key;
  }

  findByLabel(q: Queryable, project: Project, label: string): Promise<Release | undefined> {
    return findReleaseByLabel(q, project.id, label);
  }

  async list(projectKey: string): Promise<Release[]> {
    const project = await this.projects.get(projectKey);
    return listReleases(this.db.read, project.id);
  }

  async get(projectKey: string, ref: string): Promise<ReleaseDetail> {
    const project = await this.projects.get(projectKey);
    const release = await this.resolve(this.db.read, project, ref);
    return { ...release, decisions: await releaseEntries(this.db.read, release.id) };
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

  /** What changed from `baseRef` to `targetRef`; with `content`, also inside each changed decision. */
  async diff(projectKey: string, targetRef: string, baseRef: string, options: { content?: boolean } = {}): Promise<ReleaseDiff> {
    const project = await this.projects.get(projectKey);
    const [target, base] = await Promise.all([this.resolve(this.db.read, project, targetRef), this.resolve(this.db.read, project, baseRef)]);
    const [targetEntries, baseEntries] = await Promise.all([releaseEntries(this.db.read, target.id), releaseEntries(this.db.read, base.id)]);
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
    const omitted = options.content ? await this.#withContentDiffs(base.id, target.id, changed) : undefined;
    return {
      base: { id: base.id, label: base.label },
      target: { id: target.id, label: target.label },
      added: targetEntries.filter((e) => !before.has(e.key)),
      removed: baseEntries.filter((e) => !after.has(e.key)),
      changed,
      unchanged,
      ...(omitted === undefined ? {} : { contentOmitted: omitted }),
    };
  }

  /** Adds the content diff to the first MAX_CONTENT_DIFFS changed decisions; returns how many are left without. */
  async #withContentDiffs(baseId: string, targetId: string, changed: ReleaseDiff['changed']): Promise<number> {
    const listed = changed.slice(0, MAX_CONTENT_DIFFS);
    const keys = listed.map((c) => c.key);
    const [older, newer] = await Promise.all([releaseContentsOf(this.db.read, baseId, keys), releaseContentsOf(this.db.read, targetId, keys)]);
    const contentOf = (rows: ReleasedDecision[]) => new Map(rows.map((r) => [r.key, r.content]));
    const [then, now] = [contentOf(older), contentOf(newer)];
    const share = (total: number, least: number, most: number) => Math.min(most, Math.max(least, Math.floor(total / Math.max(1, listed.length))));
    const limits = {
      maxEntries: share(CONTENT_DIFF_ENTRIES, MIN_ENTRIES_EACH, DEFAULT_DIFF_LIMITS.maxEntries),
      maxPatchLines: share(CONTENT_DIFF_PATCH_LINES, MIN_PATCH_LINES_EACH, DEFAULT_DIFF_LIMITS.maxPatchLines),
    };
    for (const entry of listed) entry.content = diffDecisionContent(then.get(entry.key), now.get(entry.key), limits);
    return changed.length - listed.length;
  }

  /** One decision's content as released. */
  async decision(projectKey: string, ref: string, rawKey: string): Promise<ReleasedDecision & { release: { id: string; label: string } }> {
    const key = parseDecisionKey(rawKey);
    const project = await this.projects.get(projectKey);
    const release = await this.resolve(this.db.read, project, ref);
    const [found] = await releaseContents(this.db.read, release.id, key);
    if (!found) throw notFound(`release '${release.label}' does not contain decision '${key}'`);
    return { ...found, release: { id: release.id, label: release.label } };
  }

  /** Every decision of a release with content (for evaluation and export). */
  contents(q: Queryable, releaseId: string): Promise<ReleasedDecision[]> {
    return releaseContents(q, releaseId);
  }
}

/** 409 unless `now` holds exactly the decision versions `tested` does (a save or delete in between). */
function assertUnchanged(tested: readonly ReleaseCandidate[], now: readonly ReleaseCandidate[]): void {
  const before = new Map(tested.map((d) => [d.key, d]));
  const after = new Set(now.map((d) => d.key));
  const changed = [
    ...now.filter((d) => before.get(d.key)?.contentHash !== d.contentHash).map((d) => d.key),
    ...tested.filter((d) => !after.has(d.key)).map((d) => d.key),
  ];
  if (changed.length === 0) return;
  throw conflict(
    `decision${changed.length > 1 ? 's' : ''} ${changed.slice(0, 5).map((k) => `'${k}'`).join(', ')}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''} changed while the tests ran; no release was made: run it again`,
    { changed: changed.slice(0, 100) },
  );
}

/** Refuses labels users may not choose (400): 'latest', v<number>, id-shaped. */
export function checkLabel(label: string): void {
  if (label === 'latest') throw badRequest("'latest' is reserved; it always means the newest release");
  if (/^v\d+$/.test(label)) throw badRequest(`'${label}': labels of the form v<number> are given automatically (v<sequence>); choose another label`);
  if (UUID.test(label)) throw badRequest('a release label cannot look like a release id (UUID)');
}
