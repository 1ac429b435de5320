import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { runCli } from '../helpers/cli.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/** Two regions: node a-1 next to the primary, node b-1 reading from the streaming standby. */
describe('fleet view and read-your-deploy across two regions', () => {
  let pair: ReplicatedPair;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    pair = await startReplicatedPair({ durable: false });
    a = await startTestServer({ replicated: { writerUrl: pair.writerUrl }, node: { nodeId: 'a-1', region: 'region-a' } });
    b = await startTestServer({
      replicated: { writerUrl: pair.writerUrl, readerUrl: pair.url(pair.standby) },
      node: { nodeId: 'b-1', region: 'region-b' },
    });
    await a.request('POST', '/api/projects', { body: { key: 'geo' } });
    await a.request('PUT', '/api/projects/geo/decisions/calc', { body: { content: expressionGraph({ v: "'one'" }) } });
    await a.request('POST', '/api/projects/geo/releases', { body: {} });
    await a.request('PUT', '/api/projects/geo/decisions/calc', { body: { content: expressionGraph({ v: "'two'" }) } });
    await a.request('POST', '/api/projects/geo/releases', { body: {} });
    await a.request('POST', '/api/projects/geo/environments', { body: { key: 'prod' } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pair?.cleanup();
  });

  it('deploy with wait=replicas returns once the standby has the deploy', async () => {
    const res = await a.request('POST', '/api/projects/geo/environments/prod/deployments?wait=replicas', { body: { release: 'v1' } });
    expect(res.status).toBe(201);
    expect(res.body.wait).toMatchObject({ for: 'replicas', satisfied: true, pending: [] });
    const standby = connect(pair.url(pair.standby), { max: 1 });
    const [row] = await standby`SELECT count(*)::int AS n FROM deployments WHERE id = ${res.body.id}`;
    await standby.end();
    expect(row).toEqual({ n: 1 });
  });

  it('deploy with wait=fleet returns once every live node serves it, and fleet shows both regions', async () => {
    const res = await a.request('POST', '/api/projects/geo/environments/prod/deployments?wait=fleet&timeout=20000', { body: { release: 'v2' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.wait).toMatchObject({ for: 'fleet', satisfied: true });
    for (const node of [a, b]) expect(node.dataPlane.runtime.state?.environments.get('geo/prod')?.release?.label).toBe('v2');

    // Region B reads the fleet from its replica: a heartbeat or two behind the primary.
    const fleet = await waitFor('region B to see both nodes in sync', async () => {
      const view = (await b.request('GET', '/api/fleet?project=geo')).body;
      return view.environments[0].nodes.every((n: any) => n.status === 'in-sync') ? view : undefined;
    });
    expect(fleet.environments).toEqual([
      {
        project: 'geo',
        environment: 'prod',
        deployed: { releaseId: res.body.release.id, releaseLabel: 'v2' },
        nodes: expect.arrayContaining([
          { nodeId: 'a-1', region: 'region-a', releaseLabel: 'v2', status: 'in-sync' },
          { nodeId: 'b-1', region: 'region-b', releaseLabel: 'v2', status: 'in-sync' },
        ]),
      },
    ]);
    expect(fleet.nodes.find((n: any) => n.nodeId === 'b-1')).toMatchObject({ region: 'region-b', dbRole: 'replica', stale: false });

    const cli = await runCli(['fleet', '--project', 'geo'], { url: b.url, token: b.adminToken });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/geo\/prod: deployed v2/);
    expect(cli.stdout).toMatch(/region-a\s+a-1\s+v2\s+in sync/);
    expect(cli.stdout).toMatch(/region-b\s+b-1\s+v2\s+in sync/);
  });

  it('answers 202 with what is pending when a live node does not catch up in time', async () => {
    // A node in region C that stopped reloading: alive (fresh heartbeat) but stuck on v2.
    const primary = connect(pair.url(pair.primary), { max: 1 });
    const fleet = (await a.request('GET', '/api/fleet?project=geo')).body;
    const envId = fleet.nodes[0].serving.find((s: any) => s.environment === 'prod').environmentId;
    const stuck = [{ environmentId: envId, project: 'geo', environment: 'prod', releaseId: 'x', releaseLabel: 'v2' }];
    await primary`INSERT INTO fleet_nodes (node_id, region, version, started_at, last_seen_at, heartbeat_interval_ms, db_role, serving)
                  VALUES ('c-1', 'region-c', 'test', now(), now(), 3600000, 'replica', ${primary.json(stuck)})`;
    await primary.end();
    const res = await a.request('POST', '/api/projects/geo/environments/prod/rollback?wait=fleet&timeout=300', { body: {} });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'rollback', release: { label: 'v1' }, wait: { for: 'fleet', satisfied: false } });
    expect(res.body.wait.pending).toContain('c-1 (region-c)'); // (the real nodes may also still be reloading)
    await waitFor('the real nodes to serve v1', () => b.dataPlane.runtime.state?.environments.get('geo/prod')?.release?.label === 'v1');
    const cli = await runCli(['deploy', '--project', 'geo', '--env', 'prod', '--release', 'v2', '--wait', 'fleet', '--wait-timeout', '1'], { url: a.url, token: a.adminToken });
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(/deployed v2, but after \d+ ms these nodes have not caught up: .*c-1 \(region-c\)/);
  });
});
