import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { etcdArgs, isHealthyAnswer } from '../../src/patroni-lab/etcd.js';
import { examplePlan } from '../../src/patroni-lab/example.js';
import { renderFront, renderRegionHaproxy } from '../../src/patroni-lab/haproxy-config.js';
import { patroniConfig, pgHba, renderPatroniConfig } from '../../src/patroni-lab/patroni-config.js';
import { renderBackrestConfig } from '../../src/patroni-lab/pgbackrest-config.js';
import { DEFAULT_TIMINGS, planLab, regionPlan, restUrlsOf, SHORT_TIMINGS, timingsProblem, type PortSource } from '../../src/patroni-lab/plan.js';
import { kernelPorts, usualPorts } from '../../src/patroni-lab/ports.js';
import { groupMembers, parseStat } from '../../src/patroni-lab/processes.js';
import { describeCluster, waitFor } from '../../src/patroni-lab/wait.js';
import { parseCluster } from '../../src/patroni/cluster.js';
import { renderTopologyFile } from '../../src/patroni-lab/topology-file.js';
import { parseTopology } from '../../src/topology/load.js';

/** Counts up from 20000 per address: a deterministic stand-in for the kernel. */
function countingPorts(): PortSource {
  const next = new Map<string, number>();
  return async (host) => {
    const port = next.get(host) ?? 20000;
    next.set(host, port + 1);
    return port;
  };
}

const plan = (options: Partial<Parameters<typeof planLab>[0]> = {}) => planLab({ root: '/tmp/lab', pgBinDir: '/usr/lib/postgresql/15/bin', ...options }, countingPorts());

describe('Patroni lab plan', () => {
  it('gives every member an address of its own and every process its ports', async () => {
    const p = await plan();
    expect(p.etcd.map((e) => `${e.name} ${e.host}:${e.clientPort}/${e.peerPort}`)).toEqual(['etcd1 127.0.3.1:20000/20001', 'etcd2 127.0.3.2:20000/20001', 'etcd3 127.0.3.3:20000/20001']);
    const [a, b] = p.regions;
    expect(a).toMatchObject({ name: 'region-a', scope: 'verdict-a', kind: 'primary' });
    expect(b).toMatchObject({ name: 'region-b', scope: 'verdict-b', kind: 'standby' });
    expect(a!.members.map((m) => `${m.name}@${m.host}:${m.pgPort} rest ${m.restPort}`)).toEqual(['a1@127.0.1.1:20000 rest 20001', 'a2@127.0.1.2:20000 rest 20001', 'a3@127.0.1.3:20000 rest 20001']);
    expect(b!.members.map((m) => m.host)).toEqual(['127.0.2.1', '127.0.2.2', '127.0.2.3']);
    expect(a!.members[0]).toMatchObject({ dataDir: '/tmp/lab/pg/a1', socketDir: '/tmp/lab/sock/a1', configFile: '/tmp/lab/patroni/a1.yml', backrestConfig: '/tmp/lab/pgbackrest/a1.conf' });
    expect(a!.haproxy).toMatchObject({ host: '127.0.1.10', writerPort: 20000, readerPort: 20001, leaderPort: 20002, evalPort: 20003, statsPort: 20004 });
    expect(a!.nodes.map((n) => `${n.name} ${n.host}`)).toEqual(['region-a-v1 127.0.1.21', 'region-a-v2 127.0.1.22']);
    expect(p.front).toMatchObject({ host: '127.0.4.1', ports: { 'region-a': 20000, 'region-b': 20001 }, statsPort: 20002 });
    expect(restUrlsOf(a!)).toEqual(['http://127.0.1.1:20001', 'http://127.0.1.2:20001', 'http://127.0.1.3:20001']);
    expect(p.timings).toEqual(DEFAULT_TIMINGS);
    expect(Object.values(p.secrets).every((s) => s.length >= 24)).toBe(true);
    expect(() => regionPlan(p, 'region-c')).toThrow("no region 'region-c' in the Patroni lab; it has region-a, region-b");
  });

  it('takes a 2-member standby cluster and the shorter timings, and refuses timings that break the lock rule', async () => {
    const p = await plan({ standbyMembers: 2, timings: SHORT_TIMINGS });
    expect(p.regions[1]!.members.map((m) => m.name)).toEqual(['b1', 'b2']);
    expect(timingsProblem(DEFAULT_TIMINGS)).toBeUndefined();
    expect(timingsProblem(SHORT_TIMINGS)).toBeUndefined();
    expect(timingsProblem({ ttl: 10, loopWait: 5, retryTimeout: 5 })).toBe(
      'loop_wait (5) + 2 x retry_timeout (5) must not exceed ttl (10): a leader could lose its lock while it still acts as leader',
    );
    await expect(plan({ timings: { ttl: 10, loopWait: 0.5, retryTimeout: 1 } })).rejects.toThrow('Patroni timings: ttl, loop_wait and retry_timeout must be whole seconds of at least 1');
  });

  it('asks the kernel again for a port it already gave out on the same address', async () => {
    const answers = [5000, 5000, 5001, 5000];
    const ports = kernelPorts(async () => answers.shift()!);
    expect([await ports('127.0.1.1', 'postgres'), await ports('127.0.1.1', 'patroni-rest'), await ports('127.0.1.2', 'postgres')]).toEqual([5000, 5001, 5000]);
    const stuck = kernelPorts(async () => 6000);
    await stuck('h', 'postgres');
    await expect(stuck('h', 'postgres')).rejects.toThrow('no free port on h after 20 tries');
  });

  it('gives the usual ports to the example, refusing a second one where there is only one', async () => {
    const p = await examplePlan();
    expect(p.regions[0]!.members[0]).toMatchObject({ pgPort: 5432, restPort: 8008 });
    expect(p.front.ports).toEqual({ 'region-a': 8001, 'region-b': 8002 });
    const ports = usualPorts();
    await ports('h', 'postgres');
    await expect(ports('h', 'postgres')).rejects.toThrow('postgres asked twice on h: the usual ports give one');
  });
});

describe('Patroni lab configuration', () => {
  it('makes region A a synchronous cluster with the permanent slot region B streams from', async () => {
    const p = await plan();
    const a = p.regions[0]!;
    const config = patroniConfig(p, a, a.members[1]!) as any;
    expect(config).toMatchObject({ scope: 'verdict-a', namespace: '/verdict/', name: 'a2', restapi: { listen: '127.0.1.2:20001', connect_address: '127.0.1.2:20001' } });
    expect(config.etcd3.hosts).toEqual(['127.0.3.1:20000', '127.0.3.2:20000', '127.0.3.3:20000']);
    expect(config.bootstrap.dcs).toMatchObject({ ttl: 30, loop_wait: 10, retry_timeout: 10, synchronous_mode: true, synchronous_mode_strict: false, slots: { region_b: { type: 'physical' } } });
    expect(config.bootstrap.dcs.standby_cluster).toBeUndefined();
    expect(config.bootstrap.dcs.postgresql.parameters).toMatchObject({ archive_mode: 'on', archive_command: 'pgbackrest --stanza=verdict archive-push "%p"', wal_keep_size: '256MB' });
    expect(config.postgresql).toMatchObject({ listen: '127.0.1.2:20000', data_dir: '/tmp/lab/pg/a2', use_unix_socket: true, parameters: { unix_socket_directories: '/tmp/lab/sock/a2' } });
    expect(Object.keys(config.postgresql.authentication)).toEqual(['superuser', 'replication', 'rewind']);
    expect(config.bootstrap.pg_hba).toEqual(pgHba());
    expect(config.postgresql.pg_hba).toEqual(pgHba());
  });

  it('makes region B a standby cluster following A through A\'s HAProxy writer, or through A\'s members', async () => {
    const p = await plan({ timings: SHORT_TIMINGS });
    const b = p.regions[1]!;
    const dcs = (patroniConfig(p, b, b.members[0]!) as any).bootstrap.dcs;
    expect(dcs).toMatchObject({ ttl: 15, loop_wait: 5, retry_timeout: 5, synchronous_mode: false });
    expect(dcs.slots).toBeUndefined();
    expect(dcs.standby_cluster).toEqual({
      host: '127.0.1.10',
      port: 20000,
      primary_slot_name: 'region_b',
      create_replica_methods: ['basebackup'],
      restore_command: 'pgbackrest --stanza=verdict --repo1-path=/tmp/lab/pgbackrest/repo-region-a archive-get %f "%p"',
    });
    const viaMembers = await plan({ standbySource: 'members' });
    const members = (patroniConfig(viaMembers, viaMembers.regions[1]!, viaMembers.regions[1]!.members[0]!) as any).bootstrap.dcs.standby_cluster;
    expect(members).toMatchObject({ host: '127.0.1.1,127.0.1.2,127.0.1.3', port: '20000' });
  });

  it('renders YAML that reads back the same under YAML 1.1 (PyYAML), "on" and "off" as strings', async () => {
    const p = await plan();
    const a = p.regions[0]!;
    const text = renderPatroniConfig(p, a, a.members[0]!);
    expect(text).toMatch(/^# Patroni a1: member of verdict-a \(region-a, the primary cluster\)\./);
    expect(text).toContain('archive_mode: "on"');
    expect(text).toContain('mode: "off"');
    expect(text).not.toMatch(/[&*]a\d/); // no YAML anchors or aliases
    expect(parse(text, { version: '1.1' })).toEqual(patroniConfig(p, a, a.members[0]!));
  });

  it('routes writes by /primary, reads by /read-only and evaluations by /health/ready, with the timers explained', async () => {
    const p = await plan();
    const cfg = renderRegionHaproxy(p, p.regions[0]!);
    const listen = (name: string) => cfg.slice(cfg.indexOf(`listen ${name}`)).split('\n\n')[0]!;
    expect(listen('postgres_writer')).toContain('option httpchk GET /primary\n    http-check expect status 200');
    expect(listen('postgres_writer')).toContain('default-server inter 1s fastinter 500ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions');
    expect(listen('postgres_writer')).toContain('server a1 127.0.1.1:20000 check port 20001');
    expect(listen('postgres_reader')).toContain('option httpchk GET /read-only?lag=16MB');
    expect(listen('postgres_leader')).toContain('option httpchk GET /leader');
    expect(listen('verdict_eval')).toContain('option httpchk GET /health/ready');
    expect(listen('verdict_eval')).toContain('server region-a-v2 127.0.1.22:20000 check');
    const front = renderFront(p);
    const backend = (name: string) => front.slice(front.indexOf(`\nbackend ${name}`) + 1).split('\n\n')[0]!;
    expect(backend('home_region_a')).toContain('server region-a-v1 127.0.1.21:20000 check\n');
    expect(backend('home_region_a')).toContain('server region-b-v1 127.0.2.21:20000 check backup');
    expect(backend('home_region_b')).toContain('server region-a-v1 127.0.1.21:20000 check backup');
    expect(backend('home_region_a')).toContain('option allbackups');
    expect(front).toContain('bind 127.0.4.1:20001\n    default_backend home_region_b');
  });

  it('writes pgBackRest files with the member\'s data folder, socket and region repository', async () => {
    const p = await plan();
    const b = p.regions[1]!;
    const conf = renderBackrestConfig(p, b, b.members[2]!);
    expect(conf).toContain('repo1-path=/tmp/lab/pgbackrest/repo-region-b\n');
    expect(conf).toContain('[verdict]\npg1-path=/tmp/lab/pg/b3\npg1-port=20000\npg1-socket-path=/tmp/lab/sock/b3\n');
  });

  it('describes the lab as a Verdict topology file that loads, with each region\'s Patroni members', async () => {
    const p = await plan();
    const topology = parseTopology(renderTopologyFile(p), 'topology.yaml');
    expect(topology.primary).toBe('region-a');
    expect(topology.regions.map((r) => [r.name, r.postgres.url, r.nodes.length, r.patroni?.restUrls.length])).toEqual([
      ['region-a', 'postgres://postgres@127.0.1.10:20002/verdict', 2, 3],
      ['region-b', 'postgres://postgres@127.0.2.10:20002/verdict', 2, 3],
    ]);
  });

  it('starts etcd as a 3-member cluster on the v3 API with the lab\'s raft timers', async () => {
    const p = await plan();
    const args = etcdArgs(p, p.etcd[1]!);
    const arg = (flag: string) => args[args.indexOf(flag) + 1];
    expect(arg('--initial-cluster')).toBe('etcd1=http://127.0.3.1:20001,etcd2=http://127.0.3.2:20001,etcd3=http://127.0.3.3:20001');
    expect(arg('--listen-client-urls')).toBe('http://127.0.3.2:20000');
    expect([arg('--heartbeat-interval'), arg('--election-timeout')]).toEqual(['200', '2000']);
    expect(args).not.toContain('--enable-v2');
    expect(isHealthyAnswer({ health: 'true' })).toBe(true);
    expect(isHealthyAnswer({ health: 'false', reason: 'RAFT NO LEADER' })).toBe(false);
    expect(isHealthyAnswer({ health: true })).toBe(false);
  });
});

describe('Patroni lab processes and waits', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'verdict-patroni-proc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads process groups from /proc stat lines, skipping zombies', () => {
    expect(parseStat('4242 (patroni (x) y) S 1 4242 4242 0 -1')).toEqual({ state: 'S', ppid: 1, pgrp: 4242 });
    const proc = path.join(dir, 'proc');
    const add = (pid: number, stat: string) => {
      mkdirSync(path.join(proc, String(pid)), { recursive: true });
      writeFileSync(path.join(proc, String(pid), 'stat'), stat);
    };
    add(100, '100 (patroni) S 1 100 100 0');
    add(101, '101 (python3) S 100 100 100 0');
    add(102, '102 (python3) Z 100 100 100 0');
    add(200, '200 (postgres) S 1 200 200 0');
    mkdirSync(path.join(proc, 'self'), { recursive: true });
    expect(groupMembers(100, proc).sort()).toEqual([100, 101]);
    expect(groupMembers(300, proc)).toEqual([]);
  });

  it('waits until a probe answers, and says what it last saw when it gives up or aborts', async () => {
    let calls = 0;
    expect(await waitFor('three calls', async () => (++calls >= 3 ? calls : undefined), { timeoutMs: 5000, intervalMs: 1 })).toBe(3);
    await expect(waitFor('never', async (note) => (note('a1 replica starting'), undefined), { timeoutMs: 50, intervalMs: 10 })).rejects.toThrow(
      'never: not within 50 ms (last seen: a1 replica starting)',
    );
    await expect(waitFor('fails', async () => Promise.reject(new Error('ECONNREFUSED')), { timeoutMs: 30, intervalMs: 10 })).rejects.toThrow('fails: not within 30 ms (last seen: ECONNREFUSED)');
    await expect(waitFor('aborted', async () => undefined, { timeoutMs: 5000, abortIf: () => 'a1 exited' })).rejects.toThrow('aborted: a1 exited');
  });

  it('describes a cluster in one line for those messages', () => {
    const cluster = parseCluster(
      { members: [{ name: 'a1', role: 'leader', state: 'running', api_url: 'http://h/patroni', timeline: 2 }, { name: 'a2', role: 'replica', state: 'starting', api_url: 'http://h2/patroni', lag: 'unknown' }] },
      't',
    );
    expect(describeCluster(cluster)).toBe('a1 leader running tl2, a2 replica starting');
  });
});
