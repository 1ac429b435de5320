import { execFileSync, spawnSync } from 'node:child_process';
import { isAlive } from '../local-pg/index.js';
import type { LabNetwork } from '../lab/lab.js';

/**
 * The chaos lab's network: one namespace per region, each joined by a veth pair to a bridge in a
 * hub namespace, and one veth from this process's namespace to the hub, so the runner reaches
 * every region. Only interfaces and addresses made here are touched (no routing, no sysctl: the
 * regions share one /24 on the bridge). A region is cut off by taking its veth out of the bridge:
 * a black hole in both directions, as a real partition is, with both ends still up.
 *
 * Every name carries the runner's pid, so a later run can tell a leftover of a dead run (removed)
 * from a concurrent run's (left alone).
 */
export class ChaosNetwork {
  readonly hub: string;
  readonly cidr: string;
  readonly regions: readonly { readonly netns: string; readonly host: string; readonly hubLink: string }[];
  readonly #rootLink: string;
  #cut = new Set<number>();

  private constructor(
    readonly id: string,
    subnet: string,
    regions: number,
  ) {
    this.hub = `${PREFIX}${id}-hub`;
    this.cidr = `${subnet}.0/24`;
    this.#rootLink = `vc${id}c`;
    this.regions = Array.from({ length: regions }, (_, i) => ({ netns: `${PREFIX}${id}-r${i + 1}`, host: `${subnet}.${11 + i}`, hubLink: `vc${id}r${i + 1}` }));
  }

  /** Builds the network; on any failure removes what it made and throws. */
  static create(regions: number, id = String(process.pid)): ChaosNetwork {
    const network = new ChaosNetwork(id, freeSubnet(), regions);
    try {
      network.#build();
    } catch (error) {
      network.destroy();
      throw error;
    }
    return network;
  }

  /** As `lab up` takes it; short replication timeouts so a cut-off peer is noticed in seconds, not a minute. */
  labNetwork(): LabNetwork {
    return {
      regions: this.regions.map(({ netns, host }) => ({ netns, host })),
      cidr: this.cidr,
      settings: { wal_sender_timeout: '3s', wal_receiver_timeout: '3s', tcp_keepalives_idle: '2', tcp_keepalives_interval: '1', tcp_keepalives_count: '2' },
    };
  }

  /** Cuts region `index` (0-based) off from every other region and from the runner. */
  cut(index: number): void {
    ip(['-n', this.hub, 'link', 'set', this.regions[index]!.hubLink, 'nomaster']);
    this.#cut.add(index);
  }

  heal(index: number): void {
    ip(['-n', this.hub, 'link', 'set', this.regions[index]!.hubLink, 'master', 'br0']);
    this.#cut.delete(index);
  }

  isCut(index: number): boolean {
    return this.#cut.has(index);
  }

  /** Kills whatever still runs in the namespaces and removes them; never throws. */
  destroy(): void {
    for (const netns of [...this.regions.map((r) => r.netns), this.hub]) removeNamespace(netns);
    // Deleting a namespace frees its veth ends asynchronously; the root end goes at once this way.
    tryIp(['link', 'del', this.#rootLink]);
  }

  #build(): void {
    const subnet = this.cidr.slice(0, -'.0/24'.length);
    ip(['netns', 'add', this.hub]);
    ip(['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', this.hub, 'link', 'set', 'br0', 'up']);
    ip(['link', 'add', this.#rootLink, 'type', 'veth', 'peer', 'name', `vc${this.id}h`, 'netns', this.hub]);
    ip(['-n', this.hub, 'link', 'set', `vc${this.id}h`, 'master', 'br0', 'up']);
    ip(['addr', 'add', `${subnet}.1/24`, 'dev', this.#rootLink]);
    ip(['link', 'set', this.#rootLink, 'up']);
    for (const region of this.regions) {
      ip(['netns', 'add', region.netns]);
      ip(['-n', region.netns, 'link', 'set', 'lo', 'up']);
      ip(['-n', this.hub, 'link', 'add', region.hubLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', region.netns]);
      ip(['-n', this.hub, 'link', 'set', region.hubLink, 'master', 'br0', 'up']);
      ip(['-n', region.netns, 'addr', 'add', `${region.host}/24`, 'dev', 'eth0']);
      ip(['-n', region.netns, 'link', 'set', 'eth0', 'up']);
    }
  }
}

const PREFIX = 'verdict-chaos-';

/** Why namespaces cannot be used here, or undefined when they can. */
export function namespacesUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'nsenter']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).error) return `${tool} is not installed (iproute2 / util-linux)`;
  }
  const probe = `${PREFIX}${process.pid}-probe`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `ip netns add failed: ${(made.stderr || made.error?.message || '').trim()}`;
  removeNamespace(probe);
  return undefined;
}

/**
 * Removes namespaces and root links of chaos runs whose runner is dead (killed, timed out),
 * killing the lab processes still inside them. Returns what it removed.
 */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  const owner = (name: string, pattern: RegExp) => Number(pattern.exec(name)?.[1] ?? NaN);
  for (const netns of listNamespaces()) {
    const pid = owner(netns, /^verdict-chaos-(\d+)-/);
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) {
      removeNamespace(netns);
      removed.push(netns);
    }
  }
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (const match of links.matchAll(/^\d+: (vc(\d+)c)[@:]/gm)) {
    const pid = Number(match[2]);
    if (pid !== process.pid && !isAlive(pid)) {
      tryIp(['link', 'del', match[1]!]);
      removed.push(match[1]!);
    }
  }
  return removed;
}

function listNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').map((line) => line.split(' ')[0]!).filter((name) => name.startsWith(PREFIX));
}

function removeNamespace(netns: string): void {
  if (!listNamespaces().includes(netns)) return;
  const pids = (spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  tryIp(['netns', 'del', netns]);
}

/** A 10.x.y.0/24 that no route or address of this namespace uses yet. */
function freeSubnet(): string {
  const used = execFileSync('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }) + execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
  for (let i = 0; i < 250; i++) {
    const subnet = `10.213.${(process.pid + i) % 250}`;
    if (!used.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.213.x.0/24 for the chaos network');
}

function ip(args: readonly string[]): void {
  const run = spawnSync('ip', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim()}`);
}

function tryIp(args: readonly string[]): void {
  spawnSync('ip', args, { stdio: 'ignore' });
}
