import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { INSTALL, run } from './commands.js';

const POLICY = '/usr/sbin/policy-rc.d';
const PACKAGES = ['patroni', 'etcd-server', 'haproxy', 'pgbackrest'];

/**
 * Installs Debian's patroni, etcd-server, haproxy and pgbackrest (about 20 s) when we are root on
 * a machine with apt-get, with a policy-rc.d that refuses service starts for the duration: the
 * packages would otherwise start etcd and HAProxy as services where an init system runs them, and
 * the lab starts its own. An existing policy-rc.d is put back afterwards.
 */
export async function installLabPackages(progress: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`missing Debian packages; install them as root: ${INSTALL}`);
  }
  const backup = `${POLICY}.verdict-backup`;
  const hadPolicy = existsSync(POLICY);
  if (hadPolicy) renameSync(POLICY, backup);
  writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    progress(`installing ${PACKAGES.join(', ')} (apt-get)`);
    const update = await run('/usr/bin/apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 });
    if (update.code !== 0) throw new Error(`apt-get update exited ${update.code}: ${update.stderr.trim().split('\n').at(-1) ?? ''}`);
    const install = await run('/usr/bin/apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES], { env, timeoutMs: 600_000 });
    if (install.code !== 0) throw new Error(`apt-get install exited ${install.code}: ${install.stderr.trim().split('\n').at(-1) ?? ''}`);
  } finally {
    rmSync(POLICY, { force: true });
    if (hadPolicy) renameSync(backup, POLICY);
  }
}
