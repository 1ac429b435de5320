import { ROLES, type Role } from '../../lib/actor.js';

export { ROLES, type Role };

/**
 * What each role may do. Editors author decisions, deployers move releases between environments
 * (separation of duties: an editor cannot put its own change live), both can cut releases, and
 * only admins manage projects, environments, people's tokens and read the audit log.
 */
export const PERMISSIONS = {
  read: ['admin', 'editor', 'deployer', 'viewer'],
  'project:create': ['admin'],
  'environment:create': ['admin'],
  'environment:update': ['admin'],
  'decision:write': ['admin', 'editor'],
  'decision:simulate': ['admin', 'editor'],
  'release:create': ['admin', 'editor', 'deployer'],
  deploy: ['admin', 'deployer'],
  /**
   * Applying a package saves, releases and (optionally) deploys: the pipeline's one step. The
   * packages service checks the parts against the roles above, so separation of duties holds:
   * saving new decision content needs 'decision:write' unless a trusted key signed the package
   * (a deployer applies signed packages, or unsigned ones whose content is already here), and
   * deploying it (?environment) needs 'deploy' (an editor imports, a deployer puts it live).
   */
  'package:apply': ['admin', 'editor', 'deployer'],
  'evaluation-token:manage': ['admin', 'deployer'],
  'api-token:manage': ['admin'],
  'audit:read': ['admin'],
  /** Webhooks send a project's events (and a secret that signs them) to a URL: admins only. */
  'webhook:manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function allows(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
