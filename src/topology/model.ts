import type { ReplicationSetting } from '../pg-admin/replication.js';
import { TopologyError } from './errors.js';

/**
 * Where a region's PostgreSQL server keeps its files, for the actions that need them and run on
 * its machine: restarting it as a standby, pg_rewind, a base backup, stopping it after a
 * switchover. A lab fills these in; a topology of remote servers usually leaves them out.
 */
export interface LocalServer {
  readonly dataDir: string;
  /** Port it listens on (default: the port of its URL). */
  readonly port: number;
  /** Folder of pg_ctl, pg_rewind, pg_basebackup (default: found as for `verdict serve`). */
  readonly binDir?: string;
  readonly logFile?: string;
  /** Network namespace the server runs in (the chaos suite's labs). */
  readonly netns?: string;
}

export interface TopologyRegion {
  readonly name: string;
  readonly postgres: {
    /** Admin connection (a superuser) to the Verdict database on this region's server. */
    readonly url: string;
    /** application_name and replication slot of this server when it is a standby. */
    readonly standbyName: string;
    /** What a standby puts in primary_conninfo to stream from this server (application_name is added). */
    readonly primaryConninfo?: string;
    readonly local?: LocalServer;
  };
  /** Verdict nodes of the region (http URLs). */
  readonly nodes: readonly string[];
  /**
   * The region's PostgreSQL runs under Patroni: the REST API of each member (`http://host:8008`),
   * whose GET endpoints (`/cluster`, `/leader`) say which member leads, its members, lag and timeline.
   */
  readonly patroni?: PatroniEndpoints;
  /** The region's pgBackRest stanza, for `dr backup-status --region`. */
  readonly pgbackrest?: PgBackrestSettings;
}

export interface PatroniEndpoints {
  readonly restUrls: readonly string[];
}

export interface PgBackrestSettings {
  /** The stanza's name (default `verdict`). */
  readonly stanza: string;
  /**
   * pgBackRest's configuration file on the machine that runs the command (absolute); without it,
   * pgBackRest's own default (`/etc/pgbackrest/pgbackrest.conf`, or `PGBACKREST_CONFIG`).
   */
  readonly config?: string;
}

/** The stanza name `dr backup-status` and the Patroni lab use when none is given. */
export const DEFAULT_STANZA = 'verdict';

/** The regions of one Verdict cluster as the DR commands see them. */
export interface Topology {
  /**
   * The region that held the primary when this was written: used only when no server answers as
   * the primary (the live answer wins), e.g. to name the lost one before a promotion.
   */
  readonly primary?: string;
  /** The mode promote and rejoin restore (default: what the primary has set now). */
  readonly replication?: ReplicationSetting;
  readonly regions: readonly TopologyRegion[];
}

/** One region as `dr status` probes it: its server, the nodes in front of it, and its Patroni members' REST API if it runs under Patroni. */
export interface RegionEndpoints {
  readonly name: string;
  readonly postgresUrl: string;
  readonly standbyName: string;
  readonly nodeUrls: readonly string[];
  readonly patroni?: PatroniEndpoints;
}

export const endpointsOf = (topology: Topology): RegionEndpoints[] =>
  topology.regions.map((r) => ({
    name: r.name,
    postgresUrl: r.postgres.url,
    standbyName: r.postgres.standbyName,
    nodeUrls: r.nodes,
    ...(r.patroni ? { patroni: r.patroni } : {}),
  }));

/** The default standby name: `region-2` streams as `region_2` (application_name and slot allow no `-`). */
export const standbyNameFor = (region: string): string => region.toLowerCase().replace(/[^a-z0-9_]/g, '_');

export function regionOf(topology: Topology, name: string): TopologyRegion {
  const region = topology.regions.find((r) => r.name === name);
  if (!region) throw new TopologyError(`no region '${name}' in the topology; it has ${topology.regions.map((r) => r.name).join(', ')}`);
  return region;
}

/** Host, port and user of a region's server, from its URL. */
export function serverAddress(region: TopologyRegion): { readonly host: string; readonly port: number; readonly user: string } {
  const url = new URL(region.postgres.url);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 5432), user: decodeURIComponent(url.username) || 'postgres' };
}

/** The primary_conninfo with which `standby` streams from `upstream`. */
export function streamingConninfo(upstream: TopologyRegion, standby: TopologyRegion): string {
  const { host, port, user } = serverAddress(upstream);
  return `${upstream.postgres.primaryConninfo ?? `host=${host} port=${port} user=${user}`} application_name=${standby.postgres.standbyName}`;
}
