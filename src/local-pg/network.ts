import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { LocalPgError } from './errors.js';

/** Who and where a server or tool process runs as. */
export interface SpawnIdentity {
  readonly uid?: number;
  readonly gid?: number;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A server's command line inside a network namespace: nsenter (as root) enters it and takes the
 * postgres user's identity before it execs the server, so the pid stays the postmaster's.
 */
export function inNamespace(command: string, args: readonly string[], identity: SpawnIdentity, netns: string | undefined): [string, string[], SpawnIdentity] {
  if (netns === undefined) return [command, [...args], identity];
  const { uid, gid, ...rest } = identity;
  const user = uid === undefined || gid === undefined ? [] : [`--setuid=${uid}`, `--setgid=${gid}`];
  return ['nsenter', [`--net=/run/netns/${netns}`, ...user, '--', command, ...args], rest];
}

/** Trusts a network besides loopback in pg_hba.conf, for ordinary and replication connections. */
export function trustNetwork(dir: string, cidr: string): void {
  if (!/^[0-9.]+\/\d{1,2}$/.test(cidr)) throw new LocalPgError(`trustNetwork must be an IPv4 CIDR, not '${cidr}'`);
  appendFileSync(path.join(dir, 'pg_hba.conf'), `host all all ${cidr} trust\nhost replication all ${cidr} trust\n`);
}
