import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/decisions', import.meta.url));

describe('verdict decision rename', () => {
  let server: TestServer;
  const cli = (...args: string[]) => runCli(args, { url: server.url, token: server.adminToken });

  beforeAll(async () => {
    server = await startTestServer();
    expect((await cli('project', 'create', 'shop')).code).toBe(0);
    expect((await cli('decision', 'push', EXAMPLES, '--project', 'shop')).code).toBe(0);
  });
  afterAll(() => server?.close());

  it('moves a decision to another folder with its history', async () => {
    const run = await cli('decision', 'rename', 'shipping/carrier', 'logistics/carrier', '--project', 'shop');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('renamed shipping/carrier to logistics/carrier (version 2)\n');
    const keys = JSON.parse((await cli('--json', 'decision', 'list', '--project', 'shop')).stdout).map((d: { key: string }) => d.key);
    expect(keys).toContain('logistics/carrier');
    expect(keys).not.toContain('shipping/carrier');
    const history = JSON.parse((await cli('--json', 'decision', 'history', 'logistics/carrier', '--project', 'shop')).stdout);
    expect(history.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('refuses a taken key with one line and exit 1, changing nothing', async () => {
    const run = await cli('decision', 'rename', 'discounts/customer-discount', 'logistics/carrier', '--project', 'shop');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/logistics\/carrier/);
    const keys = JSON.parse((await cli('--json', 'decision', 'list', '--project', 'shop')).stdout).map((d: { key: string }) => d.key);
    expect(keys).toContain('discounts/customer-discount');
  });
});
