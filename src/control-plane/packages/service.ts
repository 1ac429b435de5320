import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KeyObject } from 'node:crypto';
import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { AppError, badRequest, conflict } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { DecisionsService } from '../decisions/service.js';
import type { DeploymentsService } from '../deployments/service.js';
import type { ProjectsService } from '../projects/service.js';
import { checkLabel, type ReleasesService } from '../releases/service.js';
import { allows } from '../api-tokens/roles.js';
import type { JdmDocument } from '../../lib/jdm.js';
import { MAX_EDGES, MAX_NODES } from '../decisions/validate.js';
import { buildPackage } from './build.js';
import { PackageCheck, type CheckOptions, type CheckedPackage } from './check.js';
import { LIMITS } from './format.js';
import { DEFAULT_APPLY_LIMITS, type ApplyLimits } from './limits.js';
import { invalidPackage, manifestOf } from './parse.js';
import { checkSignature, newContentRefusal } from './policy.js';
import { ApplyQueue } from './queue.js';
import type { ApplyResult } from './schemas.js';
import { loadPrivateKey, loadTrustedKeys } from './signing.js';

export interface PackagesOptions {
  readonly instanceName: string;
  readonly signingKey: KeyObject | undefined;
  readonly trustedKeys: ReadonlyMap<string, KeyObject>;
  readonly requireSigned: boolean;
  /** What one apply may cost (defaults: DEFAULT_APPLY_LIMITS). */
  readonly apply?: Partial<ApplyLimits>;
  /** Deepest nesting of a decision's JSON (VERDICT_MAX_JSON_DEPTH), checked before it is hashed. */
  readonly maxJsonDepth?: number;
}

export const DEFAULT_PACKAGES_OPTIONS: PackagesOptions = Object.freeze({
  instanceName: hostname(),
  signingKey: undefined,
  trustedKeys: new Map(),
  requireSigned: false,
});

/** Reads the key files named in the configuration once, at start, so a bad file stops the server. */
export function packagesOptionsFromConfig(config: {
  instanceName: string;
  signingKeyFile: string | undefined;
  trustedKeyFiles: readonly string[];
  requireSignedPackages: boolean;
  packageApply: ApplyLimits;
}): PackagesOptions {
  return {
    instanceName: config.instanceName,
    signingKey: config.signingKeyFile ? loadPrivateKey(readFileSync(config.signingKeyFile, 'utf8')) : undefined,
    trustedKeys: loadTrustedKeys(config.trustedKeyFiles),
    requireSigned: config.requireSignedPackages,
    apply: config.packageApply,
  };
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/**
 * Release packages: export a release as a (signed) zip, and apply one in a single transaction on
 * another instance, with the same release id, label and content hash. Applying twice is a no-op.
 */
export class PackagesService {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly decisions: DecisionsService,
    private readonly releases: ReleasesService,
    private readonly deployments: DeploymentsService,
    private readonly audit: AuditService,
    private readonly options: PackagesOptions,
  ) {
    const limits = { ...DEFAULT_APPLY_LIMITS, ...options.apply };
    this.#queue = new ApplyQueue(limits.queue);
    this.#checkOptions = {
      limits: { ...LIMITS, maxTotalBytes: limits.expandedLimitBytes, maxEntryBytes: limits.entryLimitBytes, graph: { maxNodes: MAX_NODES, maxEdges: MAX_EDGES, ...(options.maxJsonDepth === undefined ? {} : { maxJsonDepth: options.maxJsonDepth }) } },
      timeoutMs: limits.checkTimeoutMs,
    };
  }

  readonly #queue: ApplyQueue;
  readonly #checkOptions: CheckOptions;
  #checking = 0;

  /** The release as a package, signed when the server has a signing key. */
  async export(projectKey: string, releaseRef: string): Promise<{ zip: Buffer; label: string }> {
    const project = await this.projects.get(projectKey);
    const release = await this.releases.resolve(this.db.read, project, releaseRef);
    const contents = await this.releases.contents(this.db.read, release.id);
    const zip = await buildPackage(
      {
        project: { id: project.id, key: project.key, name: project.name },
        release: { id: release.id, label: release.label, contentHash: release.contentHash, notes: release.notes, createdAt: release.createdAt, createdBy: release.createdBy },
        instance: this.options.instanceName,
        decisions: contents,
      },
      this.options.signingKey,
    );
    return { zip, label: release.label };
  }

  /** Package applies running and waiting, and packages being checked on their own thread. */
  get load(): { readonly running: number; readonly waiting: number; readonly checking: number } {
    return { ...this.#queue.load, checking: this.#checking };
  }

  /** Throws 503 (with a retry delay) if an apply arriving now would find the queue full. */
  admit(): void {
    this.#queue.admit();
  }

  /**
   * Verifies and applies a package: decisions get new versions only where content differs (history
   * is never rewritten), the release is recorded with the package's id, label and hash, and it is
   * optionally deployed, all in one transaction. One apply runs at a time; reading, hashing and
   * validating happen on a worker thread with size, memory and time limits.
   */
  async apply(
    actor: Actor,
    projectKey: string,
    zip: Buffer,
    options: { environment?: string | undefined; label?: string | undefined },
    idempotency?: IdempotencyContext,
  ): Promise<ApplyResult> {
    if (options.label !== undefined) {
      if (!LABEL.test(options.label)) throw badRequest(`'${options.label}' is not a valid release label`);
      checkLabel(options.label);
    }
    if (options.environment !== undefined && !allows(actor.role, 'deploy')) {
      throw new AppError('forbidden', `role '${actor.role}' (token '${actor.name}') may apply packages but not deploy them: leave out environment, and let a deployer deploy the release`, {
        role: actor.role,
        permission: 'deploy',
      });
    }
    await this.projects.get(projectKey); // 404 before any work
    return this.#queue.run(async () => {
      // `checking` counts this apply from the thread's start until its content is in (or the end).
      this.#checking++;
      let checking = true;
      const checked = () => {
        if (checking) this.#checking--;
        checking = false;
      };
      try {
        const { check, pkg } = await PackageCheck.start(zip, this.#checkOptions);
        try {
          return await this.#applyChecked(actor, projectKey, pkg, check, checked, options, idempotency);
        } finally {
          await check.close();
        }
      } finally {
        checked();
      }
    });
  }

  async #applyChecked(
    actor: Actor,
    projectKey: string,
    pkg: CheckedPackage,
    check: PackageCheck,
    checked: () => void,
    options: { environment?: string | undefined; label?: string | undefined },
    idempotency: IdempotencyContext | undefined,
  ): Promise<ApplyResult> {
    const signedBy = checkSignature(pkg, this.options);
    const manifest = manifestOf(pkg);
    if (manifest && manifest.project.key !== projectKey) {
      throw invalidPackage(`the package is for project '${manifest.project.key}', not '${projectKey}'`);
    }
    if (manifest && options.label !== undefined && options.label !== manifest.release.label) {
      throw badRequest('a Verdict package keeps its release label; label applies to GoRules imports only');
    }
    // Separation of duties: new decision content needs a token that may write decisions, or the
    // signature of a trusted key (what a CI pipeline carries). Known content may be deployed.
    const mayBringContent = allows(actor.role, 'decision:write') || signedBy !== null;
    // Graph validation compiles every expression: skip it when the release is already here (checked
    // again, under the project lock, inside the transaction).
    const project0 = await this.projects.get(projectKey);
    const known = manifest ? await this.releases.findById(this.db.read, project0, manifest.release.id) : undefined;
    if (!known && !mayBringContent) await this.#refuseNewContent(actor, projectKey, pkg.decisions);
    const contents = known ? undefined : await check.contents();
    checked();
    // Validated here, through the engine's isolated process: the 422 a save answers, naming every problem.
    if (contents) await this.decisions.validate([...contents].map(([key, content]) => ({ key, content })));
    const contentOf = (key: string): JdmDocument => {
      const content = contents?.get(key);
      // Only if the release vanished between the check above and the transaction: nothing was written.
      if (!content) throw conflict('the target changed while the package was being applied; apply it again');
      return content;
    };

    const source = manifest ? manifest.source.instance : 'GoRules export';
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      await this.projects.lock(tx, project); // one apply per project at a time: the id/label checks below stay true
      let status: ApplyResult['status'] = 'applied';
      let release: { id: string; label: string; contentHash: string };
      let saved: number;
      let unchanged: number;
      if (manifest) {
        const owner = await this.releases.projectOfRelease(tx, manifest.release.id);
        if (owner !== undefined && owner !== projectKey) {
          throw conflict(`release id ${manifest.release.id} already belongs to project '${owner}' here`);
        }
      }
      const existing = manifest ? await this.releases.findById(tx, project, manifest.release.id) : undefined;
      if (manifest && existing) {
        if (existing.contentHash !== manifest.release.contentHash || existing.label !== manifest.release.label) {
          throw conflict(
            `release ${manifest.release.id} exists here as '${existing.label}' with different content; a package cannot replace a release`,
          );
        }
        status = 'already-applied';
        release = existing;
        saved = 0;
        unchanged = pkg.decisions.length;
      } else {
        const label = manifest ? manifest.release.label : options.label;
        if (label !== undefined && (await this.releases.findByLabel(tx, project, label))) {
          throw conflict(`project '${projectKey}' already has a different release labelled '${label}'`);
        }
        const message = manifest ? `applied from release ${manifest.release.label} of ${source}` : 'imported from a GoRules release zip';
        const results = await this.decisions.saveInTransaction(
          tx,
          actor,
          project,
          pkg.decisions.map((d) => ({ key: d.key, content: contentOf(d.key), hash: d.contentHash })),
          message,
        );
        saved = results.filter((r) => !r.unchanged).length;
        unchanged = results.length - saved;
        // The check before saving read the latest versions outside this transaction: this one is exact.
        if (saved > 0 && !mayBringContent) throw newContentRefusal(actor, results.filter((r) => !r.unchanged).map((r) => r.key));
        const cut = await this.releases.cutInTransaction(tx, actor, project, {
          ...(manifest
            ? { id: manifest.release.id, label: manifest.release.label, notes: manifest.release.notes, expectedContentHash: manifest.release.contentHash }
            : { ...(label === undefined ? {} : { label }), notes: message }),
          entries: results.map((r) => ({ key: r.key, version: r.version, contentHash: r.contentHash!, decisionId: r.decisionId, content: contentOf(r.key) })),
        });
        release = cut;
      }
      let deployment: ApplyResult['deployment'] = null;
      let deploymentRequest: ApplyResult['deploymentRequest'] = null;
      if (options.environment !== undefined) {
        const outcome = await this.deployments.deployInTransaction(tx, actor, project, options.environment, 'deploy', async () => release.id, {
          source: 'package',
          comment: `package ${release.label} applied from ${source}`,
        });
        if (outcome.kind === 'deployed') {
          deployment = { environment: options.environment, deploymentId: outcome.result.id, changed: !outcome.result.unchanged };
        } else {
          deploymentRequest = { environment: options.environment, requestId: outcome.request.id, requiredApprovals: outcome.request.requiredApprovals };
        }
      }
      if (status === 'applied' || deployment?.changed || deploymentRequest) {
        await this.audit.record(tx, actor, {
          action: 'package.apply',
          targetType: 'release',
          target: release.label,
          projectKey,
          afterHash: release.contentHash,
          details: { status, source, signedBy, releaseId: release.id, saved, unchanged, environment: options.environment ?? null, deploymentRequest: deploymentRequest?.requestId ?? null },
        });
      }
      return {
        status,
        release: { id: release.id, label: release.label, contentHash: release.contentHash },
        decisions: { saved, unchanged },
        deployment,
        deploymentRequest,
        signedBy,
        source,
      };
    }, { idempotency });
  }

  /** Refuses, before validating anything, an unsigned package from a token that may not write decisions if it would save new versions. */
  async #refuseNewContent(actor: Actor, projectKey: string, decisions: CheckedPackage['decisions']): Promise<void> {
    const latest = new Map((await this.decisions.list(projectKey, { includeDeleted: false })).map((d) => [d.key, d.contentHash]));
    const fresh = decisions.filter((d) => latest.get(d.key) !== d.contentHash).map((d) => d.key);
    if (fresh.length > 0) throw newContentRefusal(actor, fresh);
  }
}
