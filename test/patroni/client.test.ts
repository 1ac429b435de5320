import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaders, getCluster, getClusterFromAny, getLeaderStatus } from '../../src/patroni/client.js';
import { isStandbyCluster, leaderOf, parseCluster, syncStandbysOf } from '../../src/patroni/cluster.js';
import { closedUrl as nothingListens, fakeMember, patroniFixture, type FakeMember } from '../helpers/fake-patroni.js';

/** `/cluster` answers rendered by Patroni 3.0.2's own cluster_as_json (fixtures/make-cluster-json.py). */
const fixture = patroniFixture;

describe('Patroni /cluster parsing (shapes of Patroni 3.0.2 and later)', () => {
  it('reads a synchronous cluster: leader, sync standby, lag in bytes, tags', () => {
    const cluster = parseCluster(fixture('cluster-sync.json'), 'a1');
    expect(cluster.members.map((m) => [m.name, m.role, m.state, m.timeline, m.lagBytes])).toEqual([
      ['a1', 'leader', 'running', 1, null],
      ['a2', 'sync_standby', 'running', 1, 0],
      ['a3', 'replica', 'running', 1, 1024],
    ]);
    expect(leaderOf(cluster)?.name).toBe('a1');
    expect(leaderOf(cluster)).toMatchObject({ host: '127.0.1.1', port: 5432, apiUrl: 'http://127.0.1.1:8008/patroni' });
    expect(syncStandbysOf(cluster).map((m) => m.name)).toEqual(['a2']);
    expect(cluster.members[2]!.tags).toEqual({ clonefrom: true });
    expect(isStandbyCluster(cluster)).toBe(false);
    expect(cluster.paused).toBe(false);
    expect(cluster.scheduledSwitchover).toBeNull();
  });

  it('reads the moment after a switchover: no sync standby yet, the old leader restarting with lag unknown', () => {
    const cluster = parseCluster(fixture('cluster-after-switchover.json'), 'a2');
    expect(leaderOf(cluster)?.name).toBe('a2');
    expect(syncStandbysOf(cluster)).toEqual([]);
    expect(cluster.members[0]).toMatchObject({ name: 'a1', state: 'starting', lagBytes: null, timeline: null, pendingRestart: true });
  });

  it('reads a standby cluster, whose leader is the standby leader', () => {
    const cluster = parseCluster(fixture('cluster-standby.json'), 'b1');
    expect(leaderOf(cluster)?.name).toBe('b1');
    expect(leaderOf(cluster)?.role).toBe('standby_leader');
    expect(isStandbyCluster(cluster)).toBe(true);
    expect(cluster.members.map((m) => m.lagBytes)).toEqual([null, 0, 131848]);
  });

  it('reads a leaderless, paused cluster with a scheduled switchover', () => {
    const cluster = parseCluster(fixture('cluster-leaderless.json'), 'a2');
    expect(leaderOf(cluster)).toBeUndefined();
    expect(cluster.paused).toBe(true);
    expect(cluster.scheduledSwitchover).toEqual({ at: '2026-12-02T10:00:00+00:00', from: 'a2', to: 'a3' });
    expect(cluster.members[1]).toMatchObject({ name: 'a3', state: 'stopped', lagBytes: null });
  });

  it('reads the fields later versions add (4.x: receive/replay lag, LSNs, quorum standbys, streaming state)', () => {
    // As patroni/utils.py cluster_as_json of Patroni 4 renders a quorum-commit member.
    const cluster = parseCluster(
      {
        members: [
          { name: 'a1', role: 'leader', state: 'running', api_url: 'http://h1:8008/patroni', host: 'h1', port: 5432, timeline: 3 },
          {
            name: 'a2', role: 'quorum_standby', state: 'streaming', api_url: 'http://h2:8008/patroni', host: 'h2', port: 5432, timeline: 3,
            lsn: '0/3000060', lag: 0, receive_lsn: '0/3000060', receive_lag: 0, replay_lsn: '0/3000000', replay_lag: 96,
          },
          { name: 'a3', role: 'replica', state: 'in archive recovery', api_url: 'http://h3:8008/patroni', lsn: 'unknown', lag: 'unknown', receive_lag: 'unknown' },
          { name: 'a4', role: 'some_new_role', state: 'running', api_url: 'http://h4:8008/patroni' },
        ],
      },
      'a1',
    );
    expect(cluster.members[1]).toMatchObject({ role: 'quorum_standby', state: 'streaming', lsn: '0/3000060', lagBytes: 0, receiveLagBytes: 0, replayLagBytes: 96 });
    expect(cluster.members[2]).toMatchObject({ lsn: null, lagBytes: null, receiveLagBytes: null, host: null, port: null });
    expect(cluster.members[3]!.role).toBe('some_new_role');
    expect(syncStandbysOf(cluster).map((m) => m.name)).toEqual(['a2']);
  });

  it('refuses what is not a /cluster answer, naming the field', () => {
    const problem = (body: unknown) => {
      try {
        parseCluster(body, 'Patroni at h:8008');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('parsed without a problem');
    };
    expect(problem([])).toBe('Patroni at h:8008: /cluster (body): must be a JSON object');
    expect(problem({})).toBe('Patroni at h:8008: /cluster members: missing');
    expect(problem({ members: {} })).toBe('Patroni at h:8008: /cluster members: must be a list');
    expect(problem({ members: [{ role: 'leader', state: 'running', api_url: 'http://h' }] })).toBe('Patroni at h:8008: /cluster members[0].name: missing');
    expect(problem({ members: [{ name: 'a1', role: 'leader', state: 'running', api_url: 'http://h', lag: -1 }] })).toBe(
      'Patroni at h:8008: /cluster members[0].lag: must be a whole number',
    );
    expect(problem({ members: [{ name: 'a1', role: 'leader', state: 'running', api_url: 'http://h', tags: [] }] })).toBe('Patroni at h:8008: /cluster members[0].tags: must be a JSON object');
    expect(problem({ members: [], scheduled_switchover: {} })).toBe('Patroni at h:8008: /cluster scheduled_switchover.at: must be a timestamp');
  });
});

describe('Patroni REST client', () => {
  let leader: FakeMember;
  let replica: FakeMember;
  let frozen: FakeMember;
  let notPatroni: FakeMember;
  let closedUrl: string;

  beforeAll(async () => {
    leader = await fakeMember({ cluster: fixture('cluster-sync.json'), leader: 200 });
    replica = await fakeMember({ cluster: fixture('cluster-sync.json'), leader: 503 });
    frozen = await fakeMember({ hang: true });
    notPatroni = await fakeMember({ status: 404 });
    closedUrl = await nothingListens(); // connection refused
  });
  afterAll(async () => {
    await Promise.all([leader, replica, frozen, notPatroni].map((m) => m.close()));
  });

  it('reads /cluster, with or without a trailing slash on the URL', async () => {
    expect(leaderOf(await getCluster(leader.url))?.name).toBe('a1');
    expect(leaderOf(await getCluster(`${replica.url}/`))?.name).toBe('a1');
  });

  it('tells the leader by /leader status code', async () => {
    expect(await getLeaderStatus(leader.url)).toEqual({ restUrl: leader.url, leader: true, status: 200 });
    expect(await getLeaderStatus(replica.url)).toEqual({ restUrl: replica.url, leader: false, status: 503 });
    await expect(getLeaderStatus(notPatroni.url)).rejects.toThrow(`Patroni at ${new URL(notPatroni.url).host}: GET /leader answered 404, not 200 or 503 (is this Patroni's REST API?)`);
  });

  it('gives up on a member that does not answer within the timeout, and names a refused one', async () => {
    const started = Date.now();
    await expect(getCluster(frozen.url, { timeoutMs: 200 })).rejects.toThrow(`Patroni at ${new URL(frozen.url).host}: GET /cluster: no answer within 200 ms`);
    expect(Date.now() - started).toBeLessThan(10_000); // the deadline holds; the bound is loose for a busy machine
    await expect(getCluster(closedUrl)).rejects.toThrow(`Patroni at ${new URL(closedUrl).host}: GET /cluster: ECONNREFUSED`);
    await expect(getCluster(notPatroni.url)).rejects.toThrow('GET /cluster answered 404');
  });

  it('takes /cluster from whichever member answers, and says why when none does', async () => {
    // Timeouts long enough for a busy machine's live fake, short for the test: the frozen one only must miss them.
    const answer = await getClusterFromAny([frozen.url, closedUrl, replica.url], { timeoutMs: 3000 });
    expect(answer.restUrl).toBe(replica.url);
    expect(leaderOf(answer.cluster)?.name).toBe('a1');
    await expect(getClusterFromAny([frozen.url, closedUrl], { timeoutMs: 200 })).rejects.toThrow(/^no Patroni member answered \/cluster: .*no answer within 200 ms; .*ECONNREFUSED$/);
    await expect(getClusterFromAny([])).rejects.toThrow('no Patroni REST URL to ask');
  });

  it('finds the leaders among members, listing the ones that did not answer', async () => {
    const found = await findLeaders([leader.url, replica.url, frozen.url], { timeoutMs: 3000 });
    expect(found.leaders).toEqual([leader.url]);
    expect(found.unreachable).toEqual([{ restUrl: frozen.url, error: `Patroni at ${new URL(frozen.url).host}: GET /leader: no answer within 3000 ms` }]);
  });
});
