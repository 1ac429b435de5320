import type { ServerProbe } from '../control-plane/regions/probe.js';
import { blankServer } from '../control-plane/regions/probe.js';
import type { ClusterPicture } from '../control-plane/regions/schemas.js';
import { hostOf } from '../db/primary-discovery.js';
import { redactConnectionText } from '../lib/redact.js';
import { endpointsOf, type Topology } from '../topology/model.js';
import { drStatus, type DrStatus } from './status.js';

/**
 * The regions view of a node given a topology file: the probes of `verdict dr status`, each bounded
 * by the view's deadline, turned into what a viewer may see. Servers are named by region and
 * `host:port`; the topology's URLs (users, passwords, databases) never leave this function.
 */
export function topologyProbe(topology: Topology): ServerProbe {
  const regions = endpointsOf(topology);
  const addresses = regions.map((r) => ({ region: r.name, address: hostOf(r.postgresUrl) }));
  return {
    source: 'topology',
    detail: `Every PostgreSQL server of this node's topology file (${regions.length} region${regions.length === 1 ? '' : 's'}), probed by this node as verdict dr status probes them.`,
    async probe(timeoutMs) {
      // No token: the fleet comes from this node's own database, not from asking another node.
      return pictureOf(await drStatus(regions, undefined, { timeoutMs }), addresses);
    },
  };
}

/** DrStatus without LSNs, slots and URLs: what the regions view shows. */
export function pictureOf(status: DrStatus, addresses: readonly { readonly region: string; readonly address: string }[]): ClusterPicture {
  const addressOf = (region: string | null): string | null => addresses.find((a) => a.region === region)?.address ?? null;
  const regionAt = (address: string | null): string | null => addresses.find((a) => a.address === address)?.region ?? null;
  const highest = status.highestGeneration;
  return {
    health: status.health,
    primary: addressOf(status.primary),
    highestGeneration: highest,
    replication: status.replication ? { mode: status.replication.mode, synchronousStandbyNames: status.replication.synchronousStandbyNames } : null,
    rpoExposure: status.rpoExposure,
    regions: addresses.map((a) => a.region),
    servers: status.servers.map((server) => {
      const fenced = status.fenced.includes(server.region);
      const splitBrain = status.splitBrain.includes(server.region);
      const problem = server.error
        ? redactConnectionText(server.error)
        : fenced
          ? `writable with cluster generation ${server.generation ?? 'none'}, older than ${highest ?? 'none'}: fenced`
          : splitBrain
            ? `writable with the same cluster generation (${highest ?? 'none'}) as another writable server`
            : null;
      return {
        ...blankServer(addressOf(server.region) ?? server.region, server.region),
        role: server.role,
        fenced,
        splitBrain,
        generation: server.generation,
        timeline: server.timeline,
        upstream: server.upstream,
        upstreamRegion: regionAt(server.upstream),
        streaming: server.streaming,
        syncState: server.syncState,
        replayLagBytes: server.replayLagBytes,
        replayLagSeconds: server.replayLagSeconds,
        problem,
      };
    }),
  };
}
