import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SYSTEM_ACTOR } from '../../src/lib/actor.js';
import { expressionGraph } from '../helpers/graphs.js';
import { launchConsoleBrowser, signIn, type ConsoleBrowser } from './browser.js';

// The session probe before sign-in (401) and the refusal of a self-approval sent past the UI (403).
const EXPECTED_ERRORS = /^Failed to load resource: the server responded with a status of (401|403)\b/;

// The graph is never opened in the editor here: any valid decision does.
const SUMS = expressionGraph({ total: 'price * quantity' });

/**
 * Four eyes in Chromium: an admin protects prod in the console, alice (deployer) deploys to it and
 * gets a request she cannot approve herself, bob (deployer) approves it on the Approvals page and
 * prod serves the release; a rollback request is rejected.
 */
describe('console approvals in Chromium', () => {
  let server: TestServer;
  let chrome: ConsoleBrowser;
  const people: Record<'admin' | 'alice' | 'bob', { page: Page }> = {} as never;
  let tokens: Record<'admin' | 'alice' | 'bob', string>;
  const serving = async () => (await server.request('GET', '/api/projects/shop/environments/prod')).body.current?.releaseLabel ?? null;
  const requestRow = (page: Page, text: string) => page.getByRole('table', { name: 'Deployment requests' }).locator('tbody tr.ant-table-row', { hasText: text });

  beforeAll(async () => {
    server = await startTestServer();
    expect((await server.request('POST', '/api/projects', { body: { key: 'shop' } })).status).toBe(201);
    expect((await server.request('PUT', '/api/projects/shop/decisions/sums', { body: { content: SUMS } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/shop/releases', { body: { label: 'r1' } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/shop/releases', { body: { label: 'r2', notes: 'same graphs again' } })).status).toBe(201);
    chrome = await launchConsoleBrowser(EXPECTED_ERRORS);
    tokens = {
      admin: server.adminToken,
      alice: (await server.services.apiTokens.create(SYSTEM_ACTOR, { name: 'alice', role: 'deployer' })).token,
      bob: (await server.services.apiTokens.create(SYSTEM_ACTOR, { name: 'bob', role: 'deployer' })).token,
    };
    for (const who of ['admin', 'alice', 'bob'] as const) {
      const { page } = await chrome.newContext();
      await signIn(page, server.url, tokens[who], '/projects/shop/environments');
      people[who] = { page };
    }
  }, 300_000);

  afterAll(async () => {
    await chrome?.browser.close();
    await server?.close();
  });

  it('lets an admin create a protected prod environment', async () => {
    const { page } = people.admin;
    await page.getByRole('button', { name: 'New environment' }).click();
    const dialog = page.getByRole('dialog', { name: 'New environment' });
    await dialog.getByLabel('Key').fill('prod');
    await dialog.getByLabel('Approvals a deployment needs').fill('1');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Environment prod' }).waitFor();
    await page.getByText('1 approval', { exact: true }).waitFor();
    expect((await server.request('GET', '/api/projects/shop/environments/prod')).body.protection).toMatchObject({ requiredApprovals: 1 });
  }, 300_000);

  it('turns a deploy into a request the requester cannot approve, and another deployer approves it', async () => {
    const alice = people.alice.page;
    await alice.goto(`${server.url}/projects/shop/environments/prod`);
    await alice.getByRole('button', { name: 'Deploy' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Deploy to prod' });
    await dialog.getByText('prod is protected').waitFor();
    await dialog.getByLabel('Comment for the approvers').fill('first prod release');
    await dialog.getByRole('button', { name: 'Request approval' }).click();
    await alice.getByRole('status').filter({ hasText: /Deployment request \d+: deploy prod to r2 waits for 1 approval/ }).waitFor();
    expect(await serving()).toBeNull();
    await chrome.shot(alice, '60-deployment-requested');

    await alice.getByRole('link', { name: 'Approvals' }).first().click();
    const own = requestRow(alice, 'first prod release');
    await own.getByText('your request: someone else approves it').waitFor();
    expect(await own.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    // Past the UI, the server refuses too.
    const [pending] = (await server.request('GET', '/api/projects/shop/deployment-requests')).body;
    expect(pending).toMatchObject({ requestedBy: 'alice', comment: 'first prod release', status: 'pending' });
    const id: number = pending.id;
    const self = await alice.evaluate(
      async (path) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-verdict-console': '1' }, body: '{}' })).status,
      `/api/projects/shop/deployment-requests/${id}/approve`,
    );
    expect(self).toBe(403);

    const bob = people.bob.page;
    await bob.goto(`${server.url}/projects/shop/approvals`);
    const row = requestRow(bob, 'first prod release');
    await row.getByRole('button', { name: `Approve request ${id}` }).click();
    const review = bob.getByRole('dialog', { name: 'Approve: deploy prod to r2?' });
    await review.getByText('yours completes it and deploys at once').waitFor();
    await review.getByLabel('Comment').fill('checked the diff');
    await review.getByRole('button', { name: 'Approve' }).click();
    await bob.getByText('Approved: prod now serves r2').waitFor();
    expect(await serving()).toBe('r2');
    await bob.getByText('All requests').click();
    await requestRow(bob, 'first prod release').getByText('deployed (approved by bob)').waitFor();
    await chrome.shot(bob, '61-deployment-approved');
  }, 300_000);

  it('lets a reviewer reject a rollback request: nothing changes', async () => {
    // Give prod a release to roll back to: r1 requested by alice and approved by bob, through the API.
    const asked = await server.request('POST', '/api/projects/shop/environments/prod/deployments', { token: tokens.alice, body: { release: 'r1' } });
    expect(asked.status).toBe(202);
    expect((await server.request('POST', `/api/projects/shop/deployment-requests/${asked.body.request.id}/approve`, { token: tokens.bob, body: {} })).body.status).toBe('deployed');
    expect(await serving()).toBe('r1');
    const alice = people.alice.page;
    await alice.goto(`${server.url}/projects/shop/environments/prod`);
    await alice.getByRole('button', { name: 'Roll back' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Roll back prod?' });
    await dialog.getByLabel('Comment for the approvers').fill('undo r2');
    await dialog.getByRole('button', { name: 'Request approval' }).click();
    await alice.getByRole('status').filter({ hasText: /roll back prod to r2 waits for 1 approval/ }).waitFor();

    const bob = people.bob.page;
    await bob.goto(`${server.url}/projects/shop/approvals`);
    const row = requestRow(bob, 'undo r2');
    await row.getByRole('button', { name: /^Reject request/ }).click();
    const review = bob.getByRole('dialog', { name: 'Reject: roll back prod to r2?' });
    await review.getByLabel('Comment').fill('r1 is fine');
    await review.getByRole('button', { name: 'Reject' }).click();
    await bob.getByText(/rejected by bob/).first().waitFor();
    expect(await serving()).toBe('r1');
  }, 300_000);

  it('logged no console errors and made no request off the machine', () => {
    expect(chrome.errors).toEqual([]);
    expect(chrome.blocked).toEqual([]);
  });
});
