import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusPath } from '../helpers/corpus.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

describe('verdict CLI: protected environments, approvals and API tokens', () => {
  let server: TestServer;
  let requester: string;
  let approver: string;
  const cli = (args: string[], token?: string) => runCli(args, { url: server.url, token: token ?? server.adminToken });
  const newToken = async (args: string[]) => {
    const created = await cli(['api-token', 'create', ...args]);
    expect(created.code, created.stderr).toBe(0);
    return created.stdout.trim();
  };

  beforeAll(async () => {
    server = await startTestServer();
    expect((await cli(['project', 'create', 'pricing'])).code).toBe(0);
    expect((await cli(['decision', 'push', corpusPath('graphs', 'aml.json'), '--project', 'pricing', '--key', 'aml'])).code).toBe(0);
    expect((await cli(['release', 'create', '--project', 'pricing', '--label', 'r1'])).code).toBe(0);
    expect((await cli(['decision', 'push', corpusPath('graphs', 'loan-approval.json'), '--project', 'pricing', '--key', 'loans'])).code).toBe(0);
    expect((await cli(['release', 'create', '--project', 'pricing', '--label', 'r2'])).code).toBe(0);
    requester = await newToken(['--role', 'deployer', '--name', 'alice']);
    approver = await newToken(['--role', 'deployer', '--name', 'bob']);
  });
  afterAll(() => server?.close());

  it('creates a protected environment and turns a deploy into a request someone else approves', async () => {
    const created = await cli(['env', 'create', 'prod', '--project', 'pricing', '--approvals', '1']);
    expect(created).toMatchObject({ code: 0, stdout: 'created environment prod in pricing; approvals: 1 approval\n' });

    const deploy = await cli(['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'r1', '--comment', 'go live'], requester);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/^deployment of r1 to prod needs 1 more approval: request (\d+) \(by alice, .*\); approve with: verdict approvals approve \1 --project pricing\n$/);
    const json = JSON.parse((await cli(['--json', 'deploy', '--project', 'pricing', '--env', 'prod', '--release', 'r1'], requester)).stdout);
    const id = json.requestId;
    expect(json).toMatchObject({ requestId: expect.any(Number), approvalRequired: true, request: { status: 'pending', requestedBy: 'alice', comment: 'go live' } });

    const list = await cli(['approvals', 'list', '--project', 'pricing']);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+prod\\s+deploy\\s+r1\\s+alice\\s+0/1\\s+pending`, 'm'));

    const self = await cli(['approvals', 'approve', String(id), '--project', 'pricing'], requester);
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/^verdict: .*someone else must approve it\n$/);

    const approved = await cli(['approvals', 'approve', String(id), '--project', 'pricing', '--comment', 'checked'], approver);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toMatch(/^deployment of r1 to prod approved by bob: deployment \d+\n$/);
    expect((await cli(['env', 'list', '--project', 'pricing'])).stdout).toMatch(/prod\s+r1\s.*1 approval/);
    expect((await cli(['approvals', 'show', String(id), '--project', 'pricing'])).stdout).toMatch(/approved by bob .*: checked/);
  });

  it('waits for the approval with --wait', async () => {
    const waiting = cli(['deploy', '--project', 'pricing', '--env', 'prod', '--release', 'r2', '--wait'], requester);
    let id = 0;
    await waitFor('the request to be pending', async () => {
      const pending = JSON.parse((await cli(['--json', 'approvals', 'list', '--project', 'pricing'])).stdout);
      id = pending[0]?.id ?? 0;
      return id > 0;
    });
    expect((await cli(['approvals', 'approve', String(id), '--project', 'pricing'], approver)).code).toBe(0);
    const done = await waiting;
    expect(done).toMatchObject({ code: 0 });
    expect(done.stdout).toMatch(/^deployment of r2 to prod approved by bob/);
    expect(done.stderr).toMatch(/waiting up to 3600 s for request \d+ to be approved/);

    const rollback = cli(['rollback', '--project', 'pricing', '--env', 'prod', '--wait'], requester);
    await waitFor('the rollback request', async () => {
      const pending = JSON.parse((await cli(['--json', 'approvals', 'list', '--project', 'pricing'])).stdout);
      id = pending[0]?.id ?? 0;
      return id > 0;
    });
    expect((await cli(['approvals', 'reject', String(id), '--project', 'pricing', '--comment', 'not today'], approver)).code).toBe(0);
    const rejected = await rollback;
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/rollback of r1 to prod rejected by bob: not today/);
  });

  it('updates protection, and manages expiring, project-scoped, rotating API tokens', async () => {
    const updated = await cli(['env', 'update', 'prod', '--project', 'pricing', '--approvals', '2', '--approver-role', 'admin']);
    expect(updated.stdout).toBe('updated environment prod in pricing; approvals: 2 approvals (role admin)\n');
    expect((await cli(['env', 'update', 'prod', '--project', 'pricing'])).stderr).toMatch(/nothing to change/);
    expect((await cli(['env', 'update', 'prod', '--project', 'pricing', '--approvals', 'x'])).code).toBe(2);

    const created = await cli(['--json', 'api-token', 'create', '--role', 'viewer', '--name', 'scoped', '--project', 'pricing', '--expires-in', '30d']);
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({ project: 'pricing', expiresAt: expect.any(String) });
    expect((await cli(['whoami'], token.token)).code).toBe(0);
    const list = await cli(['api-token', 'list']);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+PREFIX\s+PROJECT\s+EXPIRES\s+LAST USED/m);
    expect(list.stdout).toMatch(/scoped\s+viewer\s+\S+\s+pricing\s/);

    const rotated = await cli(['api-token', 'rotate', token.id, '--grace', '1h']);
    expect(rotated.code).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^vrd_api_/);
    expect(rotated.stderr).toMatch(/rotated .*the old secret works until/);
    expect((await cli(['whoami'], fresh)).code).toBe(0);
    expect((await cli(['whoami'], token.token)).code).toBe(0);
    expect((await cli(['api-token', 'rotate', token.id, '--grace', 'soon'])).stderr).toMatch(/--grace must be a duration/);
  });
});
