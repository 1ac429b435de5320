import type { EtcdMemberPlan, LabPlan } from './plan.js';

/**
 * etcd 3.4 (Debian's etcd-server 3.4.23) command line for one member of the lab's 3-member
 * cluster. Patroni talks to it over the v3 API (its `etcd3` section); the v2 API stays off
 * (3.4's default). One etcd cluster serves both Patroni clusters here, under different scopes;
 * in production each region runs its own (a standby cluster must survive the loss of the primary
 * region, DCS included; Patroni's docs/ha_multi_dc.rst).
 */
export function etcdArgs(plan: LabPlan, member: EtcdMemberPlan): string[] {
  const peer = (m: EtcdMemberPlan) => `http://${m.host}:${m.peerPort}`;
  const client = `http://${member.host}:${member.clientPort}`;
  return [
    '--name', member.name,
    '--data-dir', member.dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer(member),
    '--initial-advertise-peer-urls', peer(member),
    '--initial-cluster', plan.etcd.map((m) => `${m.name}=${peer(m)}`).join(','),
    '--initial-cluster-state', 'new',
    // Unique per lab: members of another lab that happen to reuse a port do not join this one.
    '--initial-cluster-token', `verdict-patroni-${plan.root.split('/').pop() ?? 'lab'}`,
    // Twice etcd's defaults (100/1000 ms): on a busy 2-core machine a 100 ms heartbeat missed now
    // and then would start elections, each a pause of Patroni's DCS writes.
    '--heartbeat-interval', String(plan.etcdTiming.heartbeatMs),
    '--election-timeout', String(plan.etcdTiming.electionMs),
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
}

/** The client URL Patroni and the harness use for a member. */
export const etcdClientUrl = (member: EtcdMemberPlan): string => `http://${member.host}:${member.clientPort}`;

/**
 * etcd's `GET /health`: `{"health":"true"}` when the member is part of a quorum with a leader
 * (3.4; 3.5 adds `"reason"`). A string, not a boolean.
 */
export function isHealthyAnswer(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { health?: unknown }).health === 'true';
}
