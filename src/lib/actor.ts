/**
 * The roles a token can have. They are part of who an actor is, so they live here; what each role
 * may do is the api-tokens feature's business (control-plane/api-tokens/roles.ts).
 */
export const ROLES = ['admin', 'editor', 'deployer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Permissions a token holds beyond its role, granted explicitly (and audited when used). */
export const EXTRA_PERMISSIONS = ['deploy-unreviewed'] as const;
export type ExtraPermission = (typeof EXTRA_PERMISSIONS)[number];

/** Who is making a change, and from where: carried into every service call that writes the audit log. */
export interface Actor {
  readonly name: string;
  /**
   * A stable identity, compared when "someone else" matters (a requester never approves their own
   * deployment): `token:<id>` for an API token, `user:<issuer>#<subject>` for a single-sign-on user.
   */
  readonly subject: string;
  readonly tokenId: string | null;
  readonly role: Role;
  /** Groups from the identity provider (single sign-on); empty for API tokens. */
  readonly groups: readonly string[];
  /** The one project this actor may touch (a project-scoped token), or null for every project. */
  readonly projectScope: string | null;
  readonly extraPermissions: readonly ExtraPermission[];
  readonly requestId: string | null;
  readonly ip: string | null;
}

/** For changes the server makes itself (bootstrap, migrations). */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  name: 'system',
  subject: 'system',
  tokenId: null,
  role: 'admin',
  groups: [],
  projectScope: null,
  extraPermissions: [],
  requestId: null,
  ip: null,
});
