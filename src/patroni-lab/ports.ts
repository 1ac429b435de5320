import { freePort } from '../local-pg/ports.js';
import type { PortPurpose, PortSource } from './plan.js';

/**
 * Ports from the kernel, free on their address when asked. The probe socket is closed before the
 * port is used, so the kernel may hand the same port out twice: a port already given to this plan
 * on the same address is refused and asked for again. Another program can still take one before
 * its process binds it; the lab then fails to start that process, naming the port, and a new plan
 * is the retry.
 */
export function kernelPorts(free: (host: string) => Promise<number> = freePort): PortSource {
  const given = new Set<string>();
  return async (host) => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await free(host);
      const key = `${host}:${port}`;
      if (!given.has(key)) {
        given.add(key);
        return port;
      }
    }
    throw new Error(`no free port on ${host} after 20 tries`);
  };
}

/** The usual ports, for the example in deploy/patroni/example (one address per member makes them unique). */
export const USUAL_PORTS: Readonly<Record<PortPurpose, number | readonly number[]>> = {
  postgres: 5432,
  'patroni-rest': 8008,
  'etcd-client': 2379,
  'etcd-peer': 2380,
  'haproxy-writer': 5000,
  'haproxy-reader': 5001,
  'haproxy-leader': 5002,
  'haproxy-eval': 8080,
  'haproxy-stats': 7000,
  front: [8001, 8002, 8003, 8004],
  verdict: 8080,
};

/** A PortSource giving USUAL_PORTS; a purpose with several ports gives the next one on each call for the same address. */
export function usualPorts(): PortSource {
  const calls = new Map<string, number>();
  return async (host, purpose) => {
    const ports = USUAL_PORTS[purpose];
    const key = `${host}/${purpose}`;
    const n = calls.get(key) ?? 0;
    calls.set(key, n + 1);
    if (typeof ports === 'number') {
      if (n > 0) throw new Error(`${purpose} asked twice on ${host}: the usual ports give one`);
      return ports;
    }
    const port = ports[n];
    if (port === undefined) throw new Error(`more ${purpose} ports asked on ${host} than the usual ${ports.length}`);
    return port;
  };
}
