import type { Database } from '../../db/database.js';
import type { Actor, Role } from '../../lib/actor.js';
import { hashSecret, newSecret, SECRET_PREFIX } from '../../lib/secrets.js';
import type { AuditService } from '../audit/service.js';
import {
  consoleSessionExists,
  findActiveConsoleSession,
  insertConsoleSession,
  purgeEndedConsoleSessions,
  revokeConsoleSession,
  touchConsoleSession,
  type ConsoleSession,
} from './store.js';

export type { ConsoleSession };

/** Who the identity provider vouched for, after Verdict mapped its groups to a role. */
export interface SignedInUser {
  /** `user:<issuer>#<sub>`. */
  readonly subject: string;
  readonly issuer: string;
  readonly name: string;
  readonly role: Role;
  readonly groups: readonly string[];
}

/** A secret of this form is a console session, never an API token. */
export function isConsoleSessionSecret(secret: string): boolean {
  return secret.startsWith(SECRET_PREFIX.sso);
}

/** The actor a console session acts as: the person, with the role their groups map to. */
export function sessionActor(session: ConsoleSession, request: { readonly requestId: string | null; readonly ip: string | null }): Actor {
  return {
    name: session.name,
    subject: session.subject,
    tokenId: null,
    role: session.role,
    groups: session.groups,
    projectScope: null,
    extraPermissions: [],
    requestId: request.requestId,
    ip: request.ip,
  };
}

/**
 * Server-side sessions of people who signed in to the web console through single sign-on. Only
 * the SHA-256 of the cookie's secret is stored; rows live in PostgreSQL, so every node and region
 * honours a session and a sign-out ends it everywhere.
 */
export class ConsoleSessionsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** Starts a session (audited as the user's own sign-in); returns the secret for the cookie. */
  async create(user: SignedInUser, ttlSeconds: number, request: { readonly requestId: string | null; readonly ip: string | null }): Promise<{ secret: string; session: ConsoleSession }> {
    const secret = newSecret('sso');
    return this.db.transaction(async (tx) => {
      await purgeEndedConsoleSessions(tx);
      const session = await insertConsoleSession(tx, { ...user, secretHash: secret.hash, ttlSeconds });
      await this.audit.record(tx, sessionActor(session, request), {
        action: 'console-session.sign-in',
        targetType: 'console-session',
        target: session.id,
        details: { via: 'sso', issuer: user.issuer, subject: user.subject, role: user.role, groups: user.groups, expiresAt: session.expiresAt.toISOString() },
      });
      return { secret: secret.token, session };
    });
  }

  /** The active session a cookie's secret belongs to, or undefined (unknown, expired or revoked). */
  async authenticate(secret: string): Promise<ConsoleSession | undefined> {
    const hash = hashSecret(secret);
    let session = await findActiveConsoleSession(this.db.read, hash);
    // A session created a moment ago (the redirect back from the identity provider is answered by
    // this node's next request) may not have reached the replica yet: ask the primary. Only when
    // the replica has no row at all, so an ended session costs no second query.
    const writer = this.db.writerIfAny;
    if (!session && writer && this.db.read !== writer && !(await consoleSessionExists(this.db.read, hash))) {
      session = await findActiveConsoleSession(writer, hash).catch(() => undefined);
    }
    if (!session) return undefined;
    if (Date.now() - session.lastSeenAt.getTime() > 60_000) {
      const id = session.id;
      // Best effort: with the primary unreachable, a signed-in user can still read.
      this.db.transaction((tx) => touchConsoleSession(tx, id)).catch(() => undefined);
    }
    return session;
  }

  /** Signs out: the session ends on every node. False when it had already ended. */
  async revoke(actor: Actor, session: ConsoleSession): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const revoked = await revokeConsoleSession(tx, session.id);
      if (revoked) {
        await this.audit.record(tx, actor, { action: 'console-session.sign-out', targetType: 'console-session', target: session.id, details: { subject: session.subject } });
      }
      return revoked;
    });
  }
}
