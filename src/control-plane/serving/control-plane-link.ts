import type { ControlPlaneLink } from '../../data-plane/data-plane.js';
import type { DatabaseRole, FleetLink } from '../../data-plane/fleet/reporter.js';
import type { Services } from '../services.js';
import { DatabaseServingSource } from './database-source.js';

/** The control plane as a node's data plane sees it: the serving read model and token use. */
export function controlPlaneLink(services: Services): ControlPlaneLink {
  return { source: new DatabaseServingSource(services), tokenUsage: services.evaluationTokens };
}

/** Heartbeats through the primary, and the role of the database this node reads from. */
export function fleetLink(services: Services): FleetLink {
  return {
    heartbeat: (heartbeat) => services.fleet.heartbeat(heartbeat),
    databaseRole: (): DatabaseRole => {
      const reader = services.db.status().reader;
      if (!reader) return 'primary';
      if (reader.standby) return 'replica';
      return reader.healthy ? 'primary' : 'unknown';
    },
  };
}
