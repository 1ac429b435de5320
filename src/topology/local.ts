import { LocalPgCluster } from '../local-pg/index.js';
import { TopologyError } from './errors.js';
import { serverAddress, type LocalServer, type Topology, type TopologyRegion } from './model.js';

/**
 * The region's server as files and processes on this machine, for an action that needs them;
 * `action` says which, so a topology without local details gets told what is missing and why.
 */
export function localServer(topology: Topology, region: TopologyRegion, action: string): LocalServer {
  const local = region.postgres.local;
  if (local) return local;
  const index = topology.regions.indexOf(region);
  throw new TopologyError(
    `${action} needs ${region.name}'s server files, and the topology gives none (regions[${index}].postgres.local: dataDir, port, binDir): ` +
      `run it on that server's machine with them filled in`,
  );
}

export function localCluster(topology: Topology, region: TopologyRegion, action: string): LocalPgCluster {
  const local = localServer(topology, region, action);
  return new LocalPgCluster({
    dir: local.dataDir,
    port: local.port,
    host: serverAddress(region).host,
    ...(local.logFile ? { logFile: local.logFile } : {}),
    ...(local.netns ? { netns: local.netns } : {}),
    ...(local.binDir ? { binaries: { binDir: local.binDir, source: 'VERDICT_PG_BIN', env: {} } } : {}),
  });
}
