import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { patroniHeadline, printPatroniRegion } from '../../src/cli/commands/dr-output.js';
import type { CliIo } from '../../src/cli/io.js';
import { mergePatroniAnswers, patroniRegionStatus, type PatroniAnswer, type PatroniRegionStatus } from '../../src/dr/patroni-status.js';
import type { DrStatus } from '../../src/dr/status.js';
import { parseCluster } from '../../src/patroni/cluster.js';
import { runCli } from '../helpers/cli.js';
import { closedUrl, fakeMember, patroniFixture, withApiUrls, type FakeMember } from '../helpers/fake-patroni.js';

/** The members' REST URLs as the fixtures advertise them (`api_url` http://127.0.1.N:8008/patroni). */
const A = ['http://127.0.1.1:8008', 'http://127.0.1.2:8008', 'http://127.0.1.3:8008'];
const B = ['http://127.0.2.1:8008', 'http://127.0.2.2:8008', 'http://127.0.2.3:8008'];

const answer = (restUrl: string, fixture: string): PatroniAnswer => ({ restUrl, cluster: parseCluster(patroniFixture(fixture), restUrl) });
const refused = (restUrl: string): PatroniAnswer => ({ restUrl, error: `Patroni at ${new URL(restUrl).host}: GET /cluster: ECONNREFUSED` });

function text(region: PatroniRegionStatus): string {
  let out = '';
  const io: CliIo = { stdout: (t) => (out += t), stderr: () => undefined, env: {}, cwd: '/', isTTY: false, stderrIsTTY: false };
  printPatroniRegion(io, region);
  return out;
}

describe("dr status: a region's Patroni view from its members' /cluster answers (Patroni 3.0.2)", () => {
  it('names the leader and the synchronous standby, with each member as /cluster has it', () => {
    const region = mergePatroniAnswers('region-a', A.map((u) => answer(u, 'cluster-sync.json')));
    expect(region).toMatchObject({ region: 'region-a', health: 'leader', leader: 'a1', leaderRole: 'leader', syncStandbys: ['a2'], standbyCluster: false, paused: false, viewFrom: '127.0.1.1:8008', warnings: [] });
    expect(region.members.map((m) => [m.name, m.role, m.state, m.host, m.timeline, m.lagBytes, m.syncStandby, m.rest])).toEqual([
      ['a1', 'leader', 'running', '127.0.1.1', 1, null, false, 'ok'],
      ['a2', 'sync_standby', 'running', '127.0.1.2', 1, 0, true, 'ok'],
      ['a3', 'replica', 'running', '127.0.1.3', 1, 1024, false, 'ok'],
    ]);
    expect(text(region)).toBe(
      [
        'patroni region-a: leader a1, synchronous standby a2 (as 127.0.1.1:8008 sees it)',
        'MEMBER  ROLE          STATE    HOST            TL  LAG BYTES  REST API',
        'a1      leader        running  127.0.1.1:5432  1   -          127.0.1.1:8008',
        'a2      sync_standby  running  127.0.1.2:5432  1   0          127.0.1.2:8008',
        'a3      replica       running  127.0.1.3:5432  1   1024       127.0.1.3:8008',
        '',
      ].join('\n'),
    );
  });

  it('states plainly that no member leads after the leader crashed in synchronous_mode, and shows the crashed one as unreachable', () => {
    // a1's Patroni and PostgreSQL were killed: its REST API refuses, and its key has left /cluster.
    const region = mergePatroniAnswers('region-a', [refused(A[0]!), answer(A[1]!, 'cluster-leader-crashed-sync.json'), answer(A[2]!, 'cluster-leader-crashed-sync.json')]);
    expect(region).toMatchObject({ health: 'no-leader', leader: null, leaderRole: null, syncStandbys: ['a2'], viewFrom: '127.0.1.2:8008' });
    expect(region.members.map((m) => [m.name, m.role, m.lagBytes, m.rest, m.restError])).toEqual([
      ['a2', 'sync_standby', 0, 'ok', undefined],
      ['a3', 'replica', 440, 'ok', undefined],
      [null, null, null, 'unreachable', 'ECONNREFUSED'],
    ]);
    const out = text(region);
    expect(out.split('\n')[0]).toBe('patroni region-a: NO LEADER: no member holds the leader lock, synchronous standby a2 (as 127.0.1.2:8008 sees it)');
    expect(out).toMatch(/^\?\s+\?\s+\?\s+-\s+-\s+-\s+127\.0\.1\.1:8008 UNREACHABLE \(ECONNREFUSED\)$/m);
    expect(out).not.toMatch(/Error|at .*\.ts/); // a state, not a stack
  });

  it("names a standby cluster's standby leader, and lag Patroni reports as unknown as such", () => {
    const standby = mergePatroniAnswers('region-b', B.map((u) => answer(u, 'cluster-standby.json')));
    expect(standby).toMatchObject({ health: 'leader', leader: 'b1', leaderRole: 'standby_leader', standbyCluster: true, syncStandbys: [] });
    expect(patroniHeadline(standby)).toBe('patroni region-b: standby leader b1 of a standby cluster (as 127.0.2.1:8008 sees it)');

    const restarting = mergePatroniAnswers('region-a', A.map((u) => answer(u, 'cluster-after-switchover.json')));
    expect(patroniHeadline(restarting)).toBe('patroni region-a: leader a2, no synchronous standby (as 127.0.1.1:8008 sees it)');
    expect(text(restarting)).toMatch(/^a1\s+replica\s+starting\s+127\.0\.1\.1:5432\s+-\s+unknown\s+127\.0\.1\.1:8008$/m);
  });

  it('says when Patroni is paused, and when the members answering disagree on the leader', () => {
    const region = mergePatroniAnswers('region-a', [answer(A[1]!, 'cluster-leaderless.json'), answer(A[0]!, 'cluster-sync.json')]);
    expect(region.health).toBe('no-leader');
    expect(patroniHeadline(region)).toBe('patroni region-a: NO LEADER: no member holds the leader lock, no synchronous standby; PAUSED (maintenance mode: Patroni does not fail over) (as 127.0.1.2:8008 sees it)');
    expect(region.warnings).toEqual([
      '127.0.1.1:8008 answers, but the /cluster shown lists no member with that REST address (its key left the DCS, or the URL is not its restapi.connect_address)',
      'members disagree on the leader: 127.0.1.2:8008 says none, 127.0.1.1:8008 says a1',
    ]);
    expect(text(region)).toContain('\nwarning: members disagree on the leader');
  });

  it('reports a region none of whose members answers as unreachable, member by member', () => {
    const region = mergePatroniAnswers('region-a', [refused(A[0]!), { restUrl: A[1]!, error: 'Patroni at 127.0.1.2:8008: GET /cluster: no answer within 2000 ms' }]);
    expect(region).toMatchObject({ health: 'unreachable', leader: null, viewFrom: null, error: "no member's REST API answered /cluster" });
    expect(text(region)).toBe(
      [
        "patroni region-a: UNREACHABLE: no member's REST API answered /cluster; leader unknown",
        'MEMBER  ROLE  STATE  HOST  TL  LAG BYTES  REST API',
        '?       ?     ?      -     -   -          127.0.1.1:8008 UNREACHABLE (ECONNREFUSED)',
        '?       ?     ?      -     -   -          127.0.1.2:8008 UNREACHABLE (no answer within 2000 ms)',
        '',
      ].join('\n'),
    );
  });

  it('marks a member the topology does not list, and a REST URL that no member advertises', () => {
    const region = mergePatroniAnswers('region-a', [answer(A[0]!, 'cluster-sync.json'), answer('http://127.0.9.9:8008', 'cluster-sync.json')]);
    expect(region.members.map((m) => [m.name, m.api, m.rest])).toEqual([
      ['a1', '127.0.1.1:8008', 'ok'],
      ['a2', '127.0.1.2:8008', 'not-listed'],
      ['a3', '127.0.1.3:8008', 'not-listed'],
      [null, '127.0.9.9:8008', 'ok'],
    ]);
    expect(region.warnings).toEqual([
      '127.0.9.9:8008 answers, but the /cluster shown lists no member with that REST address (its key left the DCS, or the URL is not its restapi.connect_address)',
    ]);
    expect(text(region)).toContain('127.0.1.2:8008 (not in the topology: not asked)');
  });
});

describe('dr status --topology with Patroni regions, against stand-ins serving recorded /cluster answers', () => {
  let live: FakeMember[] = [];
  let frozen: FakeMember[] = [];
  let refusedUrl: string;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'verdict-dr-patroni-'));
    live = await Promise.all([fakeMember({}), fakeMember({})]);
    frozen = await Promise.all([1, 2, 3, 4, 5].map(() => fakeMember({ hang: true })));
    refusedUrl = await closedUrl();
    // Region A after its leader crashed: a1 refuses, a2 and a3 answer without a leader.
    const apiUrls = { a1: refusedUrl, a2: live[0]!.url, a3: live[1]!.url };
    for (const member of live) member.serve(withApiUrls(patroniFixture('cluster-leader-crashed-sync.json'), apiUrls));
  });
  afterAll(async () => {
    await Promise.all([...live, ...frozen].map((m) => m.close()));
    rmSync(work, { recursive: true, force: true });
  });

  it('asks every member at once, each within the deadline, and reports every member of each', async () => {
    const started = Date.now();
    const region = await patroniRegionStatus('region-b', [...frozen.map((m) => m.url), refusedUrl], 1000);
    // One deadline, not five (5 s one after the other); loose for a busy machine.
    expect(Date.now() - started).toBeLessThan(4000);
    expect(region.health).toBe('unreachable');
    expect(region.members.map((m) => m.restError)).toEqual([...frozen.map(() => 'no answer within 1000 ms'), 'ECONNREFUSED']);
  });

  it('shows the leaderless region and the dead one, in text and --json, beside PostgreSQL, within one deadline', async () => {
    const pgUrl = inject('pgAdminUrl');
    const topology = path.join(work, 'topology.yaml');
    writeFileSync(
      topology,
      [
        'regions:',
        '  - name: region-a',
        `    postgres: { url: "${pgUrl}" }`,
        `    patroni: { restUrls: [${[refusedUrl, live[0]!.url, live[1]!.url].join(', ')}] }`,
        '  - name: region-b',
        '    postgres: { url: "postgres://postgres@127.0.0.1:9/verdict" }',
        `    patroni: { restUrls: [${frozen.map((m) => m.url).join(', ')}] }`,
        '',
      ].join('\n'),
    );
    const options = { url: 'http://127.0.0.1:9', cwd: work };
    const started = Date.now();
    const [json, plain] = await Promise.all([
      runCli(['--json', 'dr', 'status', '--topology', topology], options),
      runCli(['dr', 'status', '--topology', topology], options),
    ]);
    // Each frozen member costs the 2 s deadline: asked one after the other, 10 s per run; at once,
    // 2 s (the bound is loose for a busy machine).
    expect(Date.now() - started).toBeLessThan(7000);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as DrStatus;
    expect(status.primary).toBe('region-a');
    expect(status.servers.map((s) => [s.region, s.role])).toEqual([['region-a', 'primary'], ['region-b', 'unreachable']]);
    expect(status.patroni?.map((r) => [r.region, r.health, r.leader, r.syncStandbys])).toEqual([
      ['region-a', 'no-leader', null, ['a2']],
      ['region-b', 'unreachable', null, []],
    ]);
    const [a, b] = status.patroni!;
    expect(a!.members.map((m) => [m.name, m.role, m.state, m.timeline, m.lagBytes, m.rest])).toEqual([
      ['a2', 'sync_standby', 'running', 1, 0, 'ok'],
      ['a3', 'replica', 'running', 1, 440, 'ok'],
      [null, null, null, null, null, 'unreachable'],
    ]);
    expect(b!.members.map((m) => m.restError)).toEqual(frozen.map(() => 'no answer within 2000 ms'));

    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^primary: region-a /m);
    expect(plain.stdout).toContain(`patroni region-a: NO LEADER: no member holds the leader lock, synchronous standby a2 (as ${new URL(live[0]!.url).host} sees it)\n`);
    expect(plain.stdout).toContain("patroni region-b: UNREACHABLE: no member's REST API answered /cluster; leader unknown\n");
    expect(plain.stdout).toContain(`${new URL(refusedUrl).host} UNREACHABLE (ECONNREFUSED)`);
    expect(plain.stdout).toContain(`${new URL(frozen[0]!.url).host} UNREACHABLE (no answer within 2000 ms)`);
  });

  it('leaves a topology without Patroni as it was: no patroni key, no section', async () => {
    const topology = path.join(work, 'plain.yaml');
    writeFileSync(topology, `regions:\n  - name: region-a\n    postgres: { url: "${inject('pgAdminUrl')}" }\n`);
    const run = await runCli(['--json', 'dr', 'status', '--topology', topology], { url: 'http://127.0.0.1:9', cwd: work });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).not.toHaveProperty('patroni');
  });
});
