import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rollbackTarget } from '../../src/control-plane/deployments/service.js';

describe('environments and deployments API', () => {
  let server: TestServer;
  const p = '/api/projects/risk';
  let v1: any;
  let v2: any;

  const counter = async () => (await server.request('GET', '/api/changes?since=0')).body;

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'risk' } });
    await server.request('POST', '/api/projects', { body: { key: 'other' } });
    await server.request('PUT', `${p}/decisions/aml`, { body: { content: readCorpus('graphs', 'aml.json') } });
    v1 = (await server.request('POST', `${p}/releases`, { body: {} })).body;
    await server.request('PUT', `${p}/decisions/loans`, { body: { content: readCorpus('graphs', 'loan-approval.json') } });
    v2 = (await server.request('POST', `${p}/releases`, { body: {} })).body;
  });
  afterAll(() => server?.close());

  it('creates environments with any keys, once', async () => {
    for (const key of ['dev', 'staging', 'prod', 'eu-west-1']) {
      expect((await server.request('POST', `${p}/environments`, { body: { key } })).status).toBe(201);
    }
    const dup = await server.request('POST', `${p}/environments`, { body: { key: 'prod' } });
    expect(dup.status).toBe(409);
    expect((await server.request('POST', `${p}/environments`, { body: { key: 'Prod!' } })).status).toBe(400);
    const list = await server.request('GET', `${p}/environments`);
    expect(list.body.map((e: any) => [e.key, e.current])).toEqual([
      ['dev', null],
      ['eu-west-1', null],
      ['prod', null],
      ['staging', null],
    ]);
  });

  it('deploys, bumps the change counter, and treats a repeat as no change', async () => {
    const start = await counter();
    const res = await server.request('POST', `${p}/environments/prod/deployments`, { body: { release: 'v1' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ environment: 'prod', kind: 'deploy', release: { id: v1.id, label: 'v1' }, previousRelease: null, unchanged: false });
    expect(res.body.changeSeq).toBe(start.counter + 1);
    const after = await counter();
    expect(after.counter).toBe(start.counter + 1);
    expect(after.events.at(-1)).toMatchObject({ seq: res.body.changeSeq, kind: 'deployment' });

    const repeat = await server.request('POST', `${p}/environments/prod/deployments`, { body: { release: v1.id } });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ unchanged: true, id: res.body.id });
    expect((await counter()).counter).toBe(after.counter);

    const env = await server.request('GET', `${p}/environments/prod`);
    expect(env.body.current).toMatchObject({ releaseId: v1.id, releaseLabel: 'v1', deploymentId: res.body.id });
  });

  it('rolls back to the release served before', async () => {
    const up = await server.request('POST', `${p}/environments/prod/deployments`, { body: { release: 'latest' } });
    expect(up.body).toMatchObject({ release: { label: 'v2' }, previousRelease: { label: 'v1' } });
    const back = await server.request('POST', `${p}/environments/prod/rollback`, { body: {} });
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ kind: 'rollback', release: { id: v1.id }, previousRelease: { id: v2.id } });
    const history = await server.request('GET', `${p}/environments/prod/deployments`);
    expect(history.body.map((d: any) => [d.kind, d.release.label])).toEqual([
      ['rollback', 'v1'],
      ['deploy', 'v2'],
      ['deploy', 'v1'],
    ]);
    const named = await server.request('POST', `${p}/environments/prod/rollback`, { body: { release: 'v2' } });
    expect(named.body).toMatchObject({ kind: 'rollback', release: { label: 'v2' } });
  });

  it('undoes deployments one by one when rolling back repeatedly', async () => {
    await server.request('PUT', `${p}/decisions/extra`, { body: { content: readCorpus('graphs', 'expression-default.json') } });
    const v3 = (await server.request('POST', `${p}/releases`, { body: {} })).body;
    await server.request('POST', `${p}/environments`, { body: { key: 'undo' } });
    for (const release of ['v1', 'v2', v3.label]) await server.request('POST', `${p}/environments/undo/deployments`, { body: { release } });
    const labels: string[] = [];
    for (let i = 0; i < 2; i++) labels.push((await server.request('POST', `${p}/environments/undo/rollback`, { body: {} })).body.release.label);
    expect(labels).toEqual(['v2', 'v1']);
    const third = await server.request('POST', `${p}/environments/undo/rollback`);
    expect(third.status).toBe(409);
  });

  it('computes rollback targets as a stack of deployments', () => {
    const d = (releaseId: string) => ({ kind: 'deploy' as const, releaseId });
    const r = (releaseId: string) => ({ kind: 'rollback' as const, releaseId });
    expect(rollbackTarget([])).toBeUndefined();
    expect(rollbackTarget([d('a')])).toBeUndefined();
    expect(rollbackTarget([d('a'), d('b'), d('c')])).toBe('b');
    expect(rollbackTarget([d('a'), d('b'), d('c'), r('b')])).toBe('a');
    expect(rollbackTarget([d('a'), d('b'), r('a'), d('c')])).toBe('a');
    expect(rollbackTarget([d('a'), d('b'), r('c')])).toBe('b'); // a rollback to a named release counts as a push
    expect(rollbackTarget([d('a'), d('a'), d('b')])).toBe('a'); // redeploying the same release is not a step
  });

  it('refuses rollbacks with nothing to go back to', async () => {
    const none = await server.request('POST', `${p}/environments/dev/rollback`, { body: {} });
    expect(none.status).toBe(409);
    expect(none.body.detail).toMatch(/nothing is deployed to 'dev'/);
    await server.request('POST', `${p}/environments/staging/deployments`, { body: { release: 'v1' } });
    const single = await server.request('POST', `${p}/environments/staging/rollback`, { body: {} });
    expect(single.status).toBe(409);
    expect(single.body.detail).toMatch(/no earlier release/);
  });

  it('keeps projects apart and names what is missing', async () => {
    await server.request('POST', '/api/projects/other/environments', { body: { key: 'prod' } });
    const foreign = await server.request('POST', '/api/projects/other/environments/prod/deployments', { body: { release: v1.id } });
    expect(foreign.status).toBe(404);
    expect(foreign.body.detail).toBe(`project 'other' has no release '${v1.id}'`);
    const noEnv = await server.request('POST', `${p}/environments/qa/deployments`, { body: { release: 'v1' } });
    expect(noEnv.body.detail).toBe("project 'risk' has no environment 'qa'");
    // The database itself refuses a deployment that mixes projects.
    const [other] = await server.db.sql`SELECT id FROM projects WHERE key = 'other'`;
    const [env] = await server.db.sql`SELECT id FROM environments WHERE project_id = ${other!.id}`;
    await expect(
      server.db.sql`INSERT INTO deployments (project_id, environment_id, release_id, kind, change_seq, deployed_by)
                    VALUES (${other!.id}, ${env!.id}, ${v1.id}, 'deploy', 1, 'x')`,
    ).rejects.toThrow(/foreign key/);
  });

  it('serialises concurrent deploys to one environment into a consistent history', async () => {
    await server.request('POST', `${p}/environments`, { body: { key: 'race' } });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => server.request('POST', `${p}/environments/race/deployments`, { body: { release: i % 2 ? 'v1' : 'v2' } })),
    );
    expect(results.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    const history = (await server.request('GET', `${p}/environments/race/deployments`)).body.reverse();
    for (let i = 1; i < history.length; i++) expect(history[i].previousRelease.id).toBe(history[i - 1].release.id);
    const seqs = history.map((d: any) => d.changeSeq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });
});
