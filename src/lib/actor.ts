/**
 * The roles a token can have. They are part of who an actor is, so they live here; what each role
 * may do is the api-tokens feature's business (control-plane/api-tokens/roles.ts).
 */
export const ROLES = ['admin', 'editor', 'deployer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is making a change, and from where: carried into every service call that writes the audit log. */
export interface Actor {
  readonly name: string;
  readonly tokenId: string | null;
  readonly role: Role;
  readonly requestId: string | null;
  readonly ip: string | null;
}

/** For changes the server makes itself (bootstrap, migrations). */
export const SYSTEM_ACTOR: Actor = Object.freeze({ name: 'system', tokenId: null, role: 'admin', requestId: null, ip: null });
