import { getCluster, memberLabel } from '../patroni/client.js';
import { isStandbyCluster, leaderOf, syncStandbysOf, type PatroniCluster } from '../patroni/cluster.js';

/**
 * Patroni's view of a region for `dr status`: what its members' REST API says (`GET /cluster`),
 * shown beside what PostgreSQL itself says. Every member listed in the topology is asked at once,
 * each within a short deadline, so a dead region costs one deadline, not one per member.
 */
export interface PatroniMemberStatus {
  /** Its name in /cluster; null for a REST URL of the topology that /cluster lists no member for. */
  readonly name: string | null;
  /** `leader`, `standby_leader`, `sync_standby`, `replica`, ... as /cluster says; null when unknown. */
  readonly role: string | null;
  /** `running`, `streaming`, `starting`, `stopped`, `crashed`, ... */
  readonly state: string | null;
  /** Its PostgreSQL server's address, as Patroni advertises it. */
  readonly host: string | null;
  readonly port: number | null;
  readonly timeline: number | null;
  /**
   * Bytes behind the leader's last WAL position known to the DCS (Patroni's `lag`); null for the
   * leader, or when Patroni reports `unknown` (no position yet: starting, stopped).
   */
  readonly lagBytes: number | null;
  /** The synchronous standby Patroni chose (role `sync_standby`, or 4.x's `quorum_standby`). */
  readonly syncStandby: boolean;
  /** host:port of its REST API. */
  readonly api: string;
  /**
   * `ok`: its REST API answered /cluster; `unreachable`: it did not (restError says why);
   * `not-listed`: the topology lists no REST URL with its address, so it was not asked.
   */
  readonly rest: 'ok' | 'unreachable' | 'not-listed';
  readonly restError?: string;
}

export interface PatroniRegionStatus {
  readonly region: string;
  /**
   * `leader`: a member holds the leader lock (as primary, or as the standby leader of a standby
   * cluster). `no-leader`: members answered, and none holds it (the lock expired and no member
   * may take it yet, e.g. in synchronous_mode only the synchronous standby may). `unreachable`:
   * no member's REST API answered, so Patroni's view is unknown.
   */
  readonly health: 'leader' | 'no-leader' | 'unreachable';
  readonly leader: string | null;
  /** `leader` (runs as primary) or `standby_leader` (leads a standby cluster). */
  readonly leaderRole: string | null;
  readonly standbyCluster: boolean;
  readonly syncStandbys: readonly string[];
  /** Maintenance mode: Patroni neither fails over nor restarts anything. */
  readonly paused: boolean;
  /** host:port of the member whose /cluster answer is shown (the first in the topology's order that answered). */
  readonly viewFrom: string | null;
  readonly members: readonly PatroniMemberStatus[];
  readonly error?: string;
  /** Members that disagree on the leader, REST URLs that /cluster lists no member for. */
  readonly warnings: readonly string[];
}

/** What one REST URL answered: its /cluster, or why not. */
export type PatroniAnswer = { readonly restUrl: string; readonly cluster: PatroniCluster } | { readonly restUrl: string; readonly error: string };

export const PATRONI_TIMEOUT_MS = 2000;

/** Asks every member of a region for /cluster at once, each within `timeoutMs`, and merges the answers. */
export async function patroniRegionStatus(region: string, restUrls: readonly string[], timeoutMs = PATRONI_TIMEOUT_MS): Promise<PatroniRegionStatus> {
  const answers = await Promise.all(
    restUrls.map(async (restUrl): Promise<PatroniAnswer> => {
      try {
        return { restUrl, cluster: await getCluster(restUrl, { timeoutMs }) };
      } catch (error) {
        return { restUrl, error: (error as Error).message };
      }
    }),
  );
  return mergePatroniAnswers(region, answers);
}

/**
 * `Patroni at 10.0.1.11:8008: GET /cluster: ECONNREFUSED` -> `ECONNREFUSED`: the member is named
 * beside it already.
 */
function shortError(restUrl: string, message: string): string {
  const prefix = `Patroni at ${memberLabel(restUrl)}: `;
  const rest = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  return rest.startsWith('GET /cluster: ') ? rest.slice('GET /cluster: '.length) : rest.replace(/^GET \/cluster /, '');
}

/**
 * One region's Patroni view from its members' answers: the first answer (in the topology's order)
 * gives the members, roles, states, timelines and lag (every member reads the same DCS); each
 * member is marked with whether its own REST API answered. Members are matched to REST URLs by
 * host:port of their `api_url` (Patroni's `restapi.connect_address`).
 */
export function mergePatroniAnswers(region: string, answers: readonly PatroniAnswer[]): PatroniRegionStatus {
  const byApi = new Map(answers.map((a) => [memberLabel(a.restUrl), a]));
  const answered = answers.filter((a): a is Extract<PatroniAnswer, { cluster: PatroniCluster }> => 'cluster' in a);
  const restOf = (answer: PatroniAnswer | undefined): Pick<PatroniMemberStatus, 'rest' | 'restError'> =>
    answer === undefined ? { rest: 'not-listed' } : 'cluster' in answer ? { rest: 'ok' } : { rest: 'unreachable', restError: shortError(answer.restUrl, answer.error) };
  const unknownMember = (answer: PatroniAnswer): PatroniMemberStatus => ({
    name: null, role: null, state: null, host: null, port: null, timeline: null, lagBytes: null, syncStandby: false, api: memberLabel(answer.restUrl), ...restOf(answer),
  });

  const view = answered[0];
  if (!view) {
    return {
      region, health: 'unreachable', leader: null, leaderRole: null, standbyCluster: false, syncStandbys: [], paused: false, viewFrom: null,
      members: answers.map(unknownMember),
      error: answers.length === 0 ? 'no Patroni REST URL to ask' : "no member's REST API answered /cluster",
      warnings: [],
    };
  }

  const cluster = view.cluster;
  const leader = leaderOf(cluster);
  const sync = syncStandbysOf(cluster).map((m) => m.name);
  const listed = new Set<string>();
  const members: PatroniMemberStatus[] = cluster.members.map((m) => {
    const api = memberLabel(m.apiUrl);
    listed.add(api);
    return {
      name: m.name, role: m.role, state: m.state, host: m.host, port: m.port, timeline: m.timeline, lagBytes: m.lagBytes, syncStandby: sync.includes(m.name), api,
      ...restOf(byApi.get(api)),
    };
  });
  const warnings: string[] = [];
  for (const answer of answers) {
    const api = memberLabel(answer.restUrl);
    if (listed.has(api)) continue;
    members.push(unknownMember(answer));
    if ('cluster' in answer) {
      warnings.push(`${api} answers, but the /cluster shown lists no member with that REST address (its key left the DCS, or the URL is not its restapi.connect_address)`);
    }
  }
  const leaders = new Set(answered.map((a) => leaderOf(a.cluster)?.name ?? null));
  if (leaders.size > 1) {
    warnings.push(`members disagree on the leader: ${answered.map((a) => `${memberLabel(a.restUrl)} says ${leaderOf(a.cluster)?.name ?? 'none'}`).join(', ')}`);
  }
  return {
    region,
    health: leader ? 'leader' : 'no-leader',
    leader: leader?.name ?? null,
    leaderRole: leader?.role ?? null,
    standbyCluster: isStandbyCluster(cluster),
    syncStandbys: sync,
    paused: cluster.paused,
    viewFrom: memberLabel(view.restUrl),
    members,
    warnings,
  };
}
