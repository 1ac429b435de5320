import type { Fleet } from '../fleet/schemas.js';
import type { DrillListing } from './drill-reports.js';
import type { ClusterPicture, NodeView, RegionView, RegionsView, ServerView } from './schemas.js';

export interface ViewParts {
  readonly at: Date;
  readonly source: RegionsView['source'];
  readonly sourceDetail: string;
  readonly node: RegionsView['node'];
  /** The last picture the servers answered with, and when; undefined before any probe worked. */
  readonly picture: { readonly value: ClusterPicture; readonly at: Date } | undefined;
  readonly probeError: string | null;
  /** The last fleet read; undefined before any read worked. */
  readonly fleet: Fleet | undefined;
  readonly fleetError: string | null;
  /** undefined: no drill report folder is configured. */
  readonly drills: DrillListing | undefined;
}

/** The one object GET /api/regions answers and the event stream pushes. */
export function assembleView(parts: ViewParts): RegionsView {
  const picture = parts.picture?.value;
  const servers = picture?.servers ?? [];
  const fleetNodes = parts.fleet?.nodes ?? [];
  // Topology order first, then whatever else names a region; the node's own region always shows.
  const names = unique([...(picture?.regions ?? []), ...servers.flatMap((s) => (s.region === null ? [] : [s.region])), ...fleetNodes.map((n) => n.region), parts.node.region]);
  const regions = names.map((name) => regionView(name, picture?.regions.includes(name) ?? false, servers.filter((s) => s.region === name), nodesOf(name, parts.fleet)));
  const primary = picture?.primary ?? null;
  return {
    at: parts.at.toISOString(),
    probedAt: parts.picture?.at.toISOString() ?? null,
    source: parts.source,
    sourceDetail: parts.sourceDetail,
    node: parts.node,
    // Before any probe answered nothing is known to work: say so rather than "ok".
    health: picture?.health ?? 'no-primary',
    primary,
    primaryRegion: servers.find((s) => s.address === primary)?.region ?? null,
    highestGeneration: picture?.highestGeneration ?? null,
    replication: picture?.replication ?? null,
    rpoExposure: picture?.rpoExposure ?? null,
    servers,
    regions,
    environments: (parts.fleet?.environments ?? []).map((e) => ({ project: e.project, environment: e.environment, deployedRelease: e.deployed?.releaseLabel ?? null })),
    probeError: parts.probeError,
    fleetError: parts.fleetError,
    drills: parts.drills ? { configured: true, reports: parts.drills.reports, error: parts.drills.error } : { configured: false, reports: [], error: null },
  };
}

const unique = (names: readonly string[]): string[] => [...new Set(names)];

/** Every node of the region, with the release it serves per environment and whether that is the deployed one. */
function nodesOf(region: string, fleet: Fleet | undefined): NodeView[] {
  if (!fleet) return [];
  return fleet.nodes
    .filter((n) => n.region === region)
    .map((n) => ({
      nodeId: n.nodeId,
      version: n.version,
      stale: n.stale,
      lastSeenAt: n.lastSeenAt,
      dbRole: n.dbRole,
      serving: fleet.environments.flatMap((e) => {
        const entry = e.nodes.find((x) => x.nodeId === n.nodeId);
        return entry ? [{ project: e.project, environment: e.environment, releaseLabel: entry.releaseLabel, status: entry.status }] : [];
      }),
    }));
}

/**
 * failed (red): a server of the region is unreachable, fenced or in a split brain: what needs an
 * operator. warning: a standby that does not stream, a stale or out-of-sync node. Each reason is a
 * sentence, so the screen never says it with colour alone.
 */
export function regionView(name: string, inTopology: boolean, servers: readonly ServerView[], nodes: NodeView[]): RegionView {
  const failed: string[] = [];
  const warnings: string[] = [];
  for (const s of servers) {
    if (s.role === 'unreachable') failed.push(`PostgreSQL ${s.address} is unreachable${s.problem ? `: ${s.problem}` : ''}`);
    else if (s.fenced) failed.push(`PostgreSQL ${s.address} is FENCED: writable with an old cluster generation (${s.generation ?? 'none'}); rejoin it as a standby`);
    else if (s.splitBrain) failed.push(`PostgreSQL ${s.address} is in a SPLIT BRAIN: writable with the same generation as another server`);
    else if (s.role === 'standby' && !s.streaming) warnings.push(`standby ${s.address} does not stream${s.problem ? `: ${s.problem}` : ''}`);
  }
  for (const n of nodes) {
    if (n.stale) warnings.push(`node ${n.nodeId} is stale: no heartbeat since ${n.lastSeenAt}`);
    const behind = n.serving.filter((e) => e.status === 'out-of-sync');
    if (!n.stale && behind.length > 0) warnings.push(`node ${n.nodeId} is out of sync in ${behind.map((e) => `${e.project}/${e.environment}`).join(', ')}`);
  }
  return { name, inTopology, status: failed.length > 0 ? 'failed' : warnings.length > 0 ? 'warning' : 'ok', problems: [...failed, ...warnings], nodes };
}
