import { ROLES, type Role } from '../../lib/actor.js';

/** One entry of VERDICT_OIDC_ROLE_MAP: a group (or `*`, anyone) and the role it gives. */
export interface RoleMapEntry {
  readonly group: string;
  readonly role: Role;
}

export type RoleMap = readonly RoleMapEntry[];

/** Longest group name accepted, in the map and in the claims (Entra object ids are 36, Keycloak paths longer). */
export const MAX_GROUP_LENGTH = 256;

/**
 * Parses `rules-admins=admin,rules-authors=editor,*=viewer`. A group is split from its role at the
 * last `=`, so group names may contain `=` but not `,`. Throws a one-line message on anything odd.
 */
export function parseRoleMap(raw: string): RoleMap {
  const entries: RoleMapEntry[] = [];
  for (const part of raw.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const at = item.lastIndexOf('=');
    const group = item.slice(0, at).trim();
    const role = item.slice(at + 1).trim();
    if (at <= 0 || group === '') throw new Error(`entry "${item}" is not group=role`);
    if (group.length > MAX_GROUP_LENGTH) throw new Error(`group "${group.slice(0, 40)}…" is longer than ${MAX_GROUP_LENGTH} characters`);
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`entry "${item}": role must be one of ${ROLES.join(', ')}`);
    if (entries.some((e) => e.group === group)) throw new Error(`group "${group}" is listed twice`);
    entries.push({ group, role: role as Role });
  }
  if (entries.length === 0) throw new Error('it maps no group to a role (e.g. "rules-admins=admin,*=viewer")');
  return entries;
}

/**
 * The role a person's groups give: the highest of every entry that matches, in the order
 * admin > editor > deployer > viewer (ROLES). `*` matches anyone. Undefined when nothing matches:
 * such a person is not let in. Editor and deployer are never combined (an Actor has one role,
 * and separation of duties wants them apart): someone in both groups gets editor.
 */
export function roleFor(map: RoleMap, groups: readonly string[]): Role | undefined {
  const member = new Set(groups);
  let best: number | undefined;
  for (const entry of map) {
    if (entry.group !== '*' && !member.has(entry.group)) continue;
    const rank = ROLES.indexOf(entry.role);
    if (best === undefined || rank < best) best = rank;
  }
  return best === undefined ? undefined : ROLES[best];
}
