import type { Database } from '../../db/database.js';
import { choosePrimary, type HostStatus } from '../../db/primary-discovery.js';
import { redactConnectionText } from '../../lib/redact.js';
import type { ClusterPicture, ServerView } from './schemas.js';

/**
 * Where the regions view learns about the database servers. A node given a topology file probes
 * every server in it (`dr/regions-probe.ts`, the probes of `verdict dr status`); a node without
 * one reports what its own connections see (`nodeProbe`). Either way one probe at a time serves
 * every client (see RegionsHub).
 */
export interface ServerProbe {
  readonly source: 'topology' | 'node';
  /** One sentence for the screen: what was probed, and what this source cannot tell. */
  readonly detail: string;
  /** Every server asked within `timeoutMs`; one that does not answer in time is unreachable, not waited for. */
  probe(timeoutMs: number): Promise<ClusterPicture>;
}

/** A server nobody has measured yet: every field the view has, empty. */
export const blankServer = (address: string, region: string | null): ServerView => ({
  address,
  region,
  role: 'unreachable',
  fenced: false,
  splitBrain: false,
  generation: null,
  timeline: null,
  upstream: null,
  upstreamRegion: null,
  streaming: false,
  syncState: null,
  replayLagBytes: null,
  replayLagSeconds: null,
  problem: null,
});

/**
 * What the node sees through its own connections: every host of DATABASE_URL (role and cluster
 * generation, as primary discovery probes them) and its replica (DATABASE_READ_URL) with the lag
 * the node measures. The replica is in the node's region, and so is a single database; the region
 * of any other host, who streams from whom, sync state and RPO exposure are not known here.
 */
export function nodeProbe(db: () => Database, region: string): ServerProbe {
  return {
    source: 'node',
    detail:
      `What this node (region ${region}) sees through its own database connections: the hosts of DATABASE_URL and its replica. ` +
      'The regions of other servers, who streams from whom, sync state and RPO exposure need a topology (VERDICT_TOPOLOGY or verdict serve --topology).',
    async probe(timeoutMs) {
      const database = db();
      const status = database.status();
      const hosts = await database.probeHosts(timeoutMs);
      const choice = choosePrimary(hosts, status.highestGeneration);
      const reader = status.reader;
      const fenced = new Set(choice.fenced.map((h) => h.host));
      const splitBrain = new Set(choice.kind === 'split-brain' ? choice.hosts : []);
      const regionOf = (host: string): string | null => (host === reader?.host || (hosts.length === 1 && reader === undefined) ? region : null);
      const servers = hosts.map((host) => hostView(host, regionOf(host.host), fenced.has(host.host), splitBrain.has(host.host), choice.highest));
      if (reader && !hosts.some((h) => h.host === reader.host)) {
        servers.push({ ...blankServer(reader.host, region), role: reader.error && !reader.healthy ? 'unreachable' : reader.standby ? 'standby' : 'primary', generation: reader.generation });
      }
      const measured = servers.map((server) => {
        if (server.address !== reader?.host || !reader.standby || server.role !== 'standby') return server;
        return {
          ...server,
          streaming: reader.healthy,
          replayLagBytes: reader.lagBytes,
          replayLagSeconds: reader.lagMs === null ? null : reader.lagMs / 1000,
          problem: reader.error ? redactConnectionText(reader.error) : null,
        };
      });
      return {
        health: choice.kind === 'split-brain' ? 'split-brain' : choice.kind === 'none' ? 'no-primary' : choice.fenced.length > 0 ? 'fenced' : 'ok',
        primary: choice.kind === 'primary' ? choice.primary.host : null,
        highestGeneration: choice.highest > 0 ? choice.highest : null,
        replication: null,
        rpoExposure: null,
        servers: measured,
        regions: [],
      };
    },
  };
}

function hostView(host: HostStatus, region: string | null, fenced: boolean, splitBrain: boolean, highest: number): ServerView {
  const problem = host.error
    ? redactConnectionText(host.error)
    : fenced
      ? `writable with cluster generation ${host.generation ?? 'none'}, older than ${highest}: fenced`
      : splitBrain
        ? `writable with the same cluster generation (${highest}) as another writable server`
        : null;
  return { ...blankServer(host.host, region), role: host.role, generation: host.generation, fenced, splitBrain, problem };
}
