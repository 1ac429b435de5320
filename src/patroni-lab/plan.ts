import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * The loopback Patroni lab as data: which process listens where and keeps what where. Everything
 * else (configuration files, process arguments, cleanup) is derived from a plan, so a plan written
 * to `<root>/plan.json` is enough to find and stop whatever a run left behind.
 *
 * Every member gets an address of its own in 127.0.0.0/8 (Linux routes the whole range to `lo`):
 * region r's members are 127.0.r.1..3, its HAProxy 127.0.r.10, its Verdict nodes 127.0.r.21...;
 * etcd is 127.0.3.x and the global front 127.0.4.1. That keeps each member's ports apart the way
 * separate hosts would, lets pg_hba and HAProxy name members by address, and satisfies Patroni
 * 3.0.2's --validate-config, which refuses 127.0.0.1 and localhost as a connect_address.
 */

/** Patroni's leader-lock timings (seconds), in the DCS config: `ttl`, `loop_wait`, `retry_timeout`. */
export interface PatroniTimings {
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
}

/** Patroni's defaults: a leader lost is noticed after ttl (30 s) plus up to one loop (10 s). */
export const DEFAULT_TIMINGS: PatroniTimings = { ttl: 30, loopWait: 10, retryTimeout: 10 };
/**
 * The shorter variant to measure against the defaults: ttl at its floor, loop_wait + 2 x
 * retry_timeout (a DCS outage shorter than retry_timeout, twice, within one loop must not cost the
 * leader its lock). Not yet run: what it buys and what it costs in false failovers on a busy
 * 2-core machine is what the measured run is for.
 */
export const SHORT_TIMINGS: PatroniTimings = { ttl: 15, loopWait: 5, retryTimeout: 5 };

export interface EtcdMemberPlan {
  readonly name: string;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
}

export interface PatroniMemberPlan {
  /** Patroni member name, also its application_name and replication slot (a1, b2: letters and digits). */
  readonly name: string;
  readonly region: string;
  readonly host: string;
  readonly pgPort: number;
  readonly restPort: number;
  readonly dataDir: string;
  /** unix_socket_directories: pgBackRest reaches PostgreSQL only through a socket. */
  readonly socketDir: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly pgpass: string;
  readonly backrestConfig: string;
}

export interface HaproxyPlan {
  readonly name: string;
  readonly host: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly statsPort: number;
}

export interface RegionHaproxyPlan extends HaproxyPlan {
  /** PostgreSQL writes: the member whose Patroni answers 200 on /primary. */
  readonly writerPort: number;
  /** PostgreSQL reads: members answering 200 on /read-only (leader, standby leader, replicas within lag). */
  readonly readerPort: number;
  /**
   * The region's leading server, whatever its kind: 200 on /leader (the leader, or a standby
   * cluster's standby leader). What a topology file's `postgres.url` names for `verdict dr status`.
   */
  readonly leaderPort: number;
  /** Verdict evaluation traffic: the region's nodes answering 200 on /health/ready. */
  readonly evalPort: number;
}

export interface FrontPlan extends HaproxyPlan {
  /** One port per home region: a client of region-a connects to ports['region-a']. */
  readonly ports: Readonly<Record<string, number>>;
}

export interface VerdictNodePlan {
  readonly name: string;
  readonly region: string;
  readonly host: string;
  readonly port: number;
}

export interface RegionPlan {
  readonly name: string;
  /** Patroni scope (cluster name in the DCS); two clusters must not share one. */
  readonly scope: string;
  /** `primary`: a normal Patroni cluster; `standby`: a standby cluster following the primary region. */
  readonly kind: 'primary' | 'standby';
  readonly members: readonly PatroniMemberPlan[];
  readonly haproxy: RegionHaproxyPlan;
  readonly nodes: readonly VerdictNodePlan[];
  /** This region's pgBackRest repository (a folder here; an object store per region in production). */
  readonly backrestRepo: string;
}

export interface LabSecrets {
  readonly superuser: string;
  readonly replication: string;
  readonly rewind: string;
  /** Basic auth of Patroni's unsafe REST endpoints (switchover, config); patronictl reads it from the member's file. */
  readonly restApi: string;
}

export interface LabPlan {
  readonly root: string;
  readonly pgBinDir: string;
  readonly timings: PatroniTimings;
  /** Patroni's DCS namespace; scopes live under it. */
  readonly namespace: string;
  /** How region B's standby leader reaches region A: through region A's HAProxy writer, or libpq's list of A's members. */
  readonly standbySource: 'haproxy' | 'members';
  /** The permanent physical slot on region A's leader that region B's standby leader streams from. */
  readonly standbySlot: string;
  /** pgBackRest stanza, the same in both regions' repositories. */
  readonly stanza: string;
  readonly etcd: readonly EtcdMemberPlan[];
  /** etcd's raft timers (ms): heartbeat and election timeout. */
  readonly etcdTiming: { readonly heartbeatMs: number; readonly electionMs: number };
  readonly regions: readonly RegionPlan[];
  readonly front: FrontPlan;
  readonly secrets: LabSecrets;
}

/** What a port is for; a fixed allocator (the example) maps these to the usual ports. */
export type PortPurpose = 'postgres' | 'patroni-rest' | 'etcd-client' | 'etcd-peer' | 'haproxy-writer' | 'haproxy-reader' | 'haproxy-leader' | 'haproxy-eval' | 'haproxy-stats' | 'front' | 'verdict';

/** Gives a port for a purpose on an address; the lab asks the kernel, the example uses fixed ones. */
export type PortSource = (host: string, purpose: PortPurpose) => Promise<number>;

export interface PlanOptions {
  /** Folder for everything the lab writes (a fresh temporary folder). */
  readonly root: string;
  /** PostgreSQL's binaries (Debian: /usr/lib/postgresql/15/bin). */
  readonly pgBinDir: string;
  readonly timings?: PatroniTimings;
  /** Members of region B's standby cluster: 3 (default, the shape region A has) or 2 (lighter). */
  readonly standbyMembers?: 2 | 3;
  readonly nodesPerRegion?: number;
  readonly standbySource?: LabPlan['standbySource'];
  readonly secrets?: LabSecrets;
  /** etcd raft timers; default 200/2000 ms, twice etcd's own, for a busy 2-core machine. */
  readonly etcdTiming?: LabPlan['etcdTiming'];
}

export const REGION_NAMES = ['region-a', 'region-b'] as const;
const ETCD_NET = 3;
const FRONT_NET = 4;

/** Checks Patroni's rule of thumb (later versions enforce it): loop_wait + 2 x retry_timeout <= ttl. */
export function timingsProblem(t: PatroniTimings): string | undefined {
  if (![t.ttl, t.loopWait, t.retryTimeout].every((v) => Number.isInteger(v) && v >= 1)) return 'ttl, loop_wait and retry_timeout must be whole seconds of at least 1';
  if (t.loopWait + 2 * t.retryTimeout > t.ttl) {
    return `loop_wait (${t.loopWait}) + 2 x retry_timeout (${t.retryTimeout}) must not exceed ttl (${t.ttl}): a leader could lose its lock while it still acts as leader`;
  }
  return undefined;
}

export const randomSecrets = (): LabSecrets => ({
  superuser: randomBytes(18).toString('base64url'),
  replication: randomBytes(18).toString('base64url'),
  rewind: randomBytes(18).toString('base64url'),
  restApi: randomBytes(18).toString('base64url'),
});

/** Builds the plan; ports come from `ports` (one call per port, in a fixed order). */
export async function planLab(options: PlanOptions, ports: PortSource): Promise<LabPlan> {
  const timings = options.timings ?? DEFAULT_TIMINGS;
  const problem = timingsProblem(timings);
  if (problem) throw new Error(`Patroni timings: ${problem}`);
  const nodesPerRegion = options.nodesPerRegion ?? 2;
  const root = path.resolve(options.root);
  const at = (...parts: string[]) => path.join(root, ...parts);

  const etcd: EtcdMemberPlan[] = [];
  for (let i = 1; i <= 3; i++) {
    const host = `127.0.${ETCD_NET}.${i}`;
    const name = `etcd${i}`;
    etcd.push({ name, host, clientPort: await ports(host, 'etcd-client'), peerPort: await ports(host, 'etcd-peer'), dataDir: at('etcd', name), logFile: at('logs', `${name}.log`) });
  }

  const regions: RegionPlan[] = [];
  for (const [index, name] of REGION_NAMES.entries()) {
    const net = index + 1;
    const letter = name.slice(-1);
    const count = index === 0 ? 3 : (options.standbyMembers ?? 3);
    const members: PatroniMemberPlan[] = [];
    for (let m = 1; m <= count; m++) {
      const host = `127.0.${net}.${m}`;
      const member = `${letter}${m}`;
      members.push({
        name: member,
        region: name,
        host,
        pgPort: await ports(host, 'postgres'),
        restPort: await ports(host, 'patroni-rest'),
        dataDir: at('pg', member),
        socketDir: at('sock', member),
        configFile: at('patroni', `${member}.yml`),
        logFile: at('logs', `${member}.log`),
        pgpass: at('patroni', `${member}.pgpass`),
        backrestConfig: at('pgbackrest', `${member}.conf`),
      });
    }
    const lbHost = `127.0.${net}.10`;
    const haproxy: RegionHaproxyPlan = {
      name: `haproxy-${name}`,
      host: lbHost,
      writerPort: await ports(lbHost, 'haproxy-writer'),
      readerPort: await ports(lbHost, 'haproxy-reader'),
      leaderPort: await ports(lbHost, 'haproxy-leader'),
      evalPort: await ports(lbHost, 'haproxy-eval'),
      statsPort: await ports(lbHost, 'haproxy-stats'),
      configFile: at('haproxy', `${name}.cfg`),
      logFile: at('logs', `haproxy-${name}.log`),
    };
    const nodes: VerdictNodePlan[] = [];
    for (let n = 1; n <= nodesPerRegion; n++) {
      const host = `127.0.${net}.${20 + n}`;
      nodes.push({ name: `${name}-v${n}`, region: name, host, port: await ports(host, 'verdict') });
    }
    regions.push({ name, scope: `verdict-${letter}`, kind: index === 0 ? 'primary' : 'standby', members, haproxy, nodes, backrestRepo: at('pgbackrest', `repo-${name}`) });
  }

  const frontHost = `127.0.${FRONT_NET}.1`;
  const frontPorts: Record<string, number> = {};
  for (const region of regions) frontPorts[region.name] = await ports(frontHost, 'front');
  const front: FrontPlan = {
    name: 'haproxy-front',
    host: frontHost,
    ports: frontPorts,
    statsPort: await ports(frontHost, 'haproxy-stats'),
    configFile: at('haproxy', 'front.cfg'),
    logFile: at('logs', 'haproxy-front.log'),
  };

  return {
    root,
    pgBinDir: options.pgBinDir,
    timings,
    namespace: '/verdict/',
    standbySource: options.standbySource ?? 'haproxy',
    standbySlot: 'region_b',
    stanza: 'verdict',
    etcd,
    etcdTiming: options.etcdTiming ?? { heartbeatMs: 200, electionMs: 2000 },
    regions,
    front,
    secrets: options.secrets ?? randomSecrets(),
  };
}

export function regionPlan(plan: LabPlan, name: string): RegionPlan {
  const region = plan.regions.find((r) => r.name === name);
  if (!region) throw new Error(`no region '${name}' in the Patroni lab; it has ${plan.regions.map((r) => r.name).join(', ')}`);
  return region;
}

export const primaryRegionPlan = (plan: LabPlan): RegionPlan => plan.regions.find((r) => r.kind === 'primary')!;

/** `http://127.0.1.1:8008` for each member: what a topology's `patroni.restUrls` lists. */
export const restUrlsOf = (region: RegionPlan): string[] => region.members.map((m) => `http://${m.host}:${m.restPort}`);
