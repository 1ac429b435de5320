import type { Database } from '../db/database.js';
import { ApiTokensService } from './api-tokens/service.js';
import { ConsoleSessionsService } from './console-sessions/service.js';
import { AuditService } from './audit/service.js';
import { ChangesService } from './changes/service.js';
import { DecisionsService } from './decisions/service.js';
import { DEFAULT_JDM_LIMITS, type JdmChecker, type JdmLimits } from './decisions/validate.js';
import { DeploymentsService } from './deployments/service.js';
import { DeploymentRequestsService } from './deployment-requests/service.js';
import { EnvironmentsService } from './environments/service.js';
import { EvaluationTokensService } from './evaluation-tokens/service.js';
import { ProjectsService } from './projects/service.js';
import { ReleasesService, type ReleaseGate } from './releases/service.js';
import { FleetService } from './fleet/service.js';
import { SimulatorService, type DraftEngine } from './simulation/simulator.js';
import { DecisionTestsService, DEFAULT_DECISION_TESTS_OPTIONS } from './decision-tests/service.js';
import { DEFAULT_PACKAGES_OPTIONS, PackagesService, type PackagesOptions } from './packages/service.js';
import { WebhooksService, type WebhooksOptions } from './webhooks/service.js';

export interface Services {
  readonly db: Database;
  readonly audit: AuditService;
  readonly projects: ProjectsService;
  readonly decisions: DecisionsService;
  readonly releases: ReleasesService;
  readonly environments: EnvironmentsService;
  readonly changes: ChangesService;
  readonly deployments: DeploymentsService;
  readonly deploymentRequests: DeploymentRequestsService;
  readonly evaluationTokens: EvaluationTokensService;
  readonly apiTokens: ApiTokensService;
  readonly consoleSessions: ConsoleSessionsService;
  readonly packages: PackagesService;
  readonly fleet: FleetService;
  readonly simulator: SimulatorService;
  readonly decisionTests: DecisionTestsService;
  readonly webhooks: WebhooksService;
}

/** Wires the feature services; each gets only the services it is allowed to ask. */
export interface ServicesOptions {
  /** The engine's side of graph validation and of editors' simulations (an EnginePool). */
  readonly checker: JdmChecker & DraftEngine;
  readonly limits?: JdmLimits;
  readonly packages?: PackagesOptions;
  /** The most test cases one run evaluates (VERDICT_TEST_MAX_CASES). */
  readonly testMaxCases?: number;
  /** Webhook URL policy (VERDICT_WEBHOOK_ALLOW_HOSTS); default: public addresses only. */
  readonly webhooks?: WebhooksOptions;
}

export function createServices(db: Database, options: ServicesOptions): Services {
  const audit = new AuditService(db);
  const projects = new ProjectsService(db, audit);
  // Features that change things record their events through it, in their own transactions.
  const webhooks = new WebhooksService(db, projects, audit, options.webhooks ?? { allowHosts: [] });
  const decisions = new DecisionsService(db, projects, audit, webhooks, options.checker, options.limits ?? DEFAULT_JDM_LIMITS);
  // The release gate (requireTests) runs the decision tests, which read releases: wired by a closure.
  const gate: ReleaseGate = (entries) => decisionTests.gate(entries);
  const releases = new ReleasesService(db, projects, decisions, audit, webhooks, gate);
  const changes = new ChangesService(db);
  const environments = new EnvironmentsService(db, projects, changes, audit);
  // Approving a request deploys through the deployments service, whose gate creates requests: wired by a closure.
  const deploymentRequests: DeploymentRequestsService = new DeploymentRequestsService(db, projects, environments, () => deployments, audit, webhooks);
  const deployments = new DeploymentsService(db, projects, environments, releases, changes, audit, webhooks, deploymentRequests.gate);
  const evaluationTokens = new EvaluationTokensService(db, projects, environments, changes, audit);
  const apiTokens = new ApiTokensService(db, audit, projects);
  const consoleSessions = new ConsoleSessionsService(db, audit);
  const packages = new PackagesService(db, projects, decisions, releases, deployments, audit, { ...(options.packages ?? DEFAULT_PACKAGES_OPTIONS), maxJsonDepth: (options.limits ?? DEFAULT_JDM_LIMITS).maxJsonDepth });
  const fleet = new FleetService(db, environments, changes);
  const maxJsonDepth = (options.limits ?? DEFAULT_JDM_LIMITS).maxJsonDepth;
  // Contexts are bounded like evaluation input: in depth, and in the numbers the engine can take.
  const simulator = new SimulatorService({ projects, decisions, releases }, options.checker, { maxDepth: maxJsonDepth, engineNumbers: true });
  const decisionTests: DecisionTestsService = new DecisionTestsService(db, { projects, decisions, releases }, options.checker, {
    maxJsonDepth,
    maxCasesPerRun: options.testMaxCases ?? DEFAULT_DECISION_TESTS_OPTIONS.maxCasesPerRun,
  });
  return Object.freeze({ db, audit, projects, decisions, releases, environments, changes, deployments, deploymentRequests, evaluationTokens, apiTokens, consoleSessions, packages, fleet, simulator, decisionTests, webhooks });
}
