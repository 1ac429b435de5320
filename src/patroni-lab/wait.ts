import { setTimeout as sleep } from 'node:timers/promises';
import { getClusterFromAny } from '../patroni/client.js';
import { leaderOf, syncStandbysOf, type PatroniCluster, type PatroniMember } from '../patroni/cluster.js';
import { tail } from '../local-pg/log-tail.js';
import { etcdClientUrl, isHealthyAnswer } from './etcd.js';
import { restUrlsOf, type LabPlan, type RegionPlan } from './plan.js';
import type { LabProcesses } from './processes.js';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Fails at once, saying so, when this returns a reason (a process that exited, say). */
  readonly abortIf?: () => string | undefined;
}

/**
 * Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` with `what`
 * and the last thing the probe said (its last error, or the last `lastSeen` it reported).
 */
export async function waitFor<T>(what: string, probe: (note: (seen: string) => void) => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastSeen = 'nothing yet';
  for (;;) {
    const aborted = options.abortIf?.();
    if (aborted) throw new Error(`${what}: ${aborted}`);
    try {
      const value = await probe((seen) => (lastSeen = seen));
      if (value !== undefined) return value;
    } catch (error) {
      lastSeen = (error as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${options.timeoutMs} ms (last seen: ${lastSeen})`);
    await sleep(options.intervalMs ?? 250);
  }
}

/** A reason to stop waiting when one of the named processes exited, with the end of its log. */
export function exitedAmong(processes: LabProcesses, names: readonly string[]): () => string | undefined {
  return () => {
    for (const name of names) {
      if (!processes.isRunning(name)) {
        const record = processes.records().find((r) => r.name === name);
        return `${name} exited${record ? `; the end of ${record.logFile}:\n${tail(record.logFile, 0)}` : ''}`;
      }
    }
    return undefined;
  };
}

/** Every etcd member answers `GET /health` with {"health":"true"} (a quorum with a leader). */
export function waitForEtcd(plan: LabPlan, options: WaitOptions): Promise<true> {
  return waitFor(
    'etcd to have a healthy quorum',
    async (note) => {
      const answers = await Promise.all(
        plan.etcd.map(async (m) => {
          try {
            const response = await fetch(`${etcdClientUrl(m)}/health`, { signal: AbortSignal.timeout(1000) });
            return isHealthyAnswer(await response.json()) ? undefined : `${m.name} unhealthy`;
          } catch (error) {
            return `${m.name}: ${(error as Error).message}`;
          }
        }),
      );
      const problems = answers.filter((a) => a !== undefined);
      note(problems.join('; ') || 'healthy');
      return problems.length === 0 ? true : undefined;
    },
    options,
  );
}

/** The region's /cluster as any member sees it, once `ready` holds for it. */
export function waitForCluster(region: RegionPlan, what: string, ready: (cluster: PatroniCluster) => boolean, options: WaitOptions): Promise<PatroniCluster> {
  return waitFor(
    `${region.name}: ${what}`,
    async (note) => {
      const { cluster } = await getClusterFromAny(restUrlsOf(region), { timeoutMs: 1000 });
      note(describeCluster(cluster));
      return ready(cluster) ? cluster : undefined;
    },
    options,
  );
}

/**
 * A leader runs: `leader` in a primary cluster, `standby_leader` in a standby cluster, state
 * running. Returns it.
 */
export async function waitForLeader(region: RegionPlan, options: WaitOptions): Promise<PatroniMember> {
  const role = region.kind === 'primary' ? 'leader' : 'standby_leader';
  const cluster = await waitForCluster(region, `a ${role} running`, (c) => leaderOf(c)?.role === role && leaderOf(c)?.state === 'running', options);
  return leaderOf(cluster)!;
}

/**
 * Every planned member is in /cluster, running, with a known lag; in a primary cluster with
 * synchronous_mode, one of them is the synchronous standby.
 */
export function waitForAllMembers(region: RegionPlan, options: WaitOptions): Promise<PatroniCluster> {
  return waitForCluster(
    region,
    `all ${region.members.length} members running${region.kind === 'primary' ? ', one synchronous' : ''}`,
    (c) =>
      region.members.every((planned) => {
        const m = c.members.find((x) => x.name === planned.name);
        return m !== undefined && (m.state === 'running' || m.state === 'streaming') && (m === leaderOf(c) || m.lagBytes !== null);
      }) && (region.kind === 'standby' || syncStandbysOf(c).length === 1),
    options,
  );
}

/** `a1 leader running tl1, a2 sync_standby running lag 0, ...`: what a timeout message shows. */
export function describeCluster(cluster: PatroniCluster): string {
  if (cluster.members.length === 0) return 'no members';
  return cluster.members
    .map((m) => `${m.name} ${m.role} ${m.state}${m.timeline !== null ? ` tl${m.timeline}` : ''}${m.lagBytes !== null ? ` lag ${m.lagBytes}` : ''}`)
    .join(', ');
}

/** An HTTP URL answers `status` (HAProxy's listeners, Verdict's /health/ready). */
export function waitForStatus(url: string, status: number, options: WaitOptions): Promise<true> {
  return waitFor(
    `${url} to answer ${status}`,
    async (note) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      note(`answered ${response.status}`);
      return response.status === status ? true : undefined;
    },
    options,
  );
}
