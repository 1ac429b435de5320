import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { isHostAllowed } from './outbound-hosts.js';

/** A URL the server will not call: said in words the caller can act on. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

/** Where a call will connect: the address checked, so the connection cannot go elsewhere (DNS rebinding). */
export interface ResolvedTarget {
  readonly url: URL;
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Addresses that are not the public internet: loopback, private (RFC 1918, unique local),
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, documentation, benchmarking,
 * multicast, reserved and unspecified. A server calling them on a user's behalf would reach its
 * own network (server-side request forgery).
 */
const NON_PUBLIC = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
    ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32],
    ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
})();

/** True for any address that is not on the public internet (IPv4-mapped IPv6 is judged as IPv4). */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return NON_PUBLIC.check(mapped[1]!, 'ipv4');
  return NON_PUBLIC.check(address, 'ipv6');
}

export interface OutboundPolicy {
  /** Hosts that may resolve to non-public addresses (`host` matches any port of it). */
  readonly allowHosts: readonly string[];
  /** The setting that lists them, named in refusals. */
  readonly setting: string;
  /** DNS, replaceable in tests. */
  readonly resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

const defaultResolve = (hostname: string) => lookup(hostname, { all: true, verbatim: true });

/**
 * Checks a URL against the policy and resolves it: http or https, no credentials in it, and every
 * address its host resolves to public, unless the host is on the allow-list. Returns the address
 * to connect to; every one is checked so that a host with one public and one private address
 * cannot be used to reach the private one.
 */
export async function resolveOutbound(raw: string | URL, policy: OutboundPolicy): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused(`'${String(raw).slice(0, 100)}' is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundRefused(`the URL must be http or https (got ${url.protocol.replace(/:$/, '')})`);
  if (url.username || url.password) throw new OutboundRefused('the URL must not carry a user name or password');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowed = isHostAllowed(policy.allowHosts, url, 'any-port');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookupAll(policy, host);
  if (!allowed) {
    const hidden = addresses.find((a) => isNonPublicAddress(a.address));
    if (hidden) {
      throw new OutboundRefused(
        `${url.hostname} ${hidden.address === host ? 'is' : `resolves to ${hidden.address}, which is`} not a public address (loopback, private, link-local or reserved); ` +
          `list the host in ${policy.setting} to allow it`,
      );
    }
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

async function lookupAll(policy: OutboundPolicy, hostname: string): Promise<{ address: string; family: number }[]> {
  try {
    const found = await (policy.resolve ?? defaultResolve)(hostname);
    if (found.length === 0) throw new Error('no address');
    return found;
  } catch (error) {
    throw new OutboundRefused(`${hostname} cannot be resolved (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
}
