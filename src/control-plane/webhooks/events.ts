import type { Queryable } from '../../db/connect.js';

/**
 * Every event a webhook can subscribe to. The list is the contract with receivers: a name is
 * never reused for something else. `*` subscribes to all of them, present and future.
 */
export const WEBHOOK_EVENT_TYPES = [
  'decision.saved',
  'release.created',
  'deployment.requested',
  'deployment.approved',
  'deployment.rejected',
  'deployment.done',
  'deployment.rollback',
  'node.out-of-sync',
  'cluster.generation-changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The project an event belongs to. */
export interface EventProject {
  readonly id: string;
  readonly key: string;
}

interface ReleaseRef {
  readonly id: string;
  readonly label: string;
}

interface DeploymentData {
  readonly deploymentId: number;
  readonly environment: string;
  readonly release: ReleaseRef & { readonly contentHash: string };
  readonly previousRelease: ReleaseRef | null;
  readonly deployedBy: string;
  /** The deployment request it carried out, when the environment needs approvals. */
  readonly requestId?: number | undefined;
}

interface DeploymentRequestData {
  readonly requestId: number;
  readonly environment: string;
  readonly kind: 'deploy' | 'rollback';
  readonly release: ReleaseRef;
}

/**
 * An event as the code emits it: an exhaustive union tagged by `type`, so each kind carries its
 * own data and a new kind must be added here (and to WEBHOOK_EVENT_TYPES) before it can be sent.
 * Receivers get `{ id, type, createdAt, project: <key or null>, data }`.
 */
export type WebhookEvent =
  | {
      readonly type: 'decision.saved';
      readonly project: EventProject;
      readonly data: {
        readonly key: string;
        readonly version: number;
        /** null for a deletion (a tombstone version). */
        readonly contentHash: string | null;
        readonly change: 'save' | 'delete' | 'rename';
        readonly renamedFrom?: string | undefined;
        readonly author: string;
        readonly message: string;
      };
    }
  | {
      readonly type: 'release.created';
      readonly project: EventProject;
      readonly data: ReleaseRef & { readonly contentHash: string; readonly decisions: number; readonly createdBy: string; readonly notes: string };
    }
  | {
      readonly type: 'deployment.requested';
      readonly project: EventProject;
      readonly data: DeploymentRequestData & { readonly requestedBy: string; readonly requiredApprovals: number; readonly comment?: string | undefined };
    }
  | {
      readonly type: 'deployment.approved';
      readonly project: EventProject;
      readonly data: DeploymentRequestData & { readonly approvedBy: readonly string[]; readonly approvals: number; readonly requiredApprovals: number };
    }
  | {
      readonly type: 'deployment.rejected';
      readonly project: EventProject;
      readonly data: DeploymentRequestData & { readonly rejectedBy: string; readonly comment?: string | undefined };
    }
  | { readonly type: 'deployment.done'; readonly project: EventProject; readonly data: DeploymentData }
  | { readonly type: 'deployment.rollback'; readonly project: EventProject; readonly data: DeploymentData }
  | {
      readonly type: 'node.out-of-sync';
      readonly project: EventProject;
      readonly data: {
        readonly nodeId: string;
        readonly region: string;
        readonly environment: string;
        readonly deployed: ReleaseRef & { readonly deployedAt: string };
        /** What the node reports serving there, or null when it serves nothing there. */
        readonly serving: ReleaseRef | null;
        readonly lastSeenAt: string;
      };
    }
  | {
      readonly type: 'cluster.generation-changed';
      readonly project: null;
      readonly data: { readonly generation: number; readonly previousGeneration: number; readonly changedBy: string; readonly note: string; readonly changedAt: string };
    };

// Compile-time check that the list and the union name the same types.
type Missing = Exclude<WebhookEventType, WebhookEvent['type']> | Exclude<WebhookEvent['type'], WebhookEventType>;
const _exhaustive: [Missing] extends [never] ? true : Missing = true;
void _exhaustive;

/** Largest event data accepted: receivers and the delivery log should not carry megabytes. */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

/**
 * Records an event inside the caller's transaction (the outbox): it exists if and only if the
 * change it describes commits, with one pending delivery per active subscription to it, and the
 * delivery workers are woken on commit (NOTIFY). Returns the event id, or null when nobody
 * subscribed (nothing is stored then).
 */
export interface WebhookEmitter {
  emit(tx: Queryable, event: WebhookEvent): Promise<string | null>;
}

/** The emitter for code that sends no events (tools, tests of other features). */
export const NO_WEBHOOKS: WebhookEmitter = { emit: () => Promise.resolve(null) };

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}
