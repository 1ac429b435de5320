import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { csvRecords } from '../helpers/csv.js';
import { waitFor } from '../helpers/wait.js';
import { launchConsoleBrowser, signIn, type ConsoleBrowser } from './browser.js';

/**
 * The console's administration screens in Chromium against a real server: create an environment
 * (the server's refusal shown on the field), its deployment history through a deploy and a
 * rollback, an evaluation token read once from its dialog and used for a real evaluation, then
 * revoked; API tokens; the audit log filtered and downloaded as CSV; renaming a decision; and a
 * viewer who sees none of the write buttons.
 */
// What the browser logs for answers the console expects and shows: the session probe before
// sign-in (401), the environment key the server refuses (400), the rename to a taken key (409).
const EXPECTED_ERRORS = /^Failed to load resource: the server responded with a status of (400|401|409)\b/;

const SUMS = {
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request', position: { x: 60, y: 200 } },
    { id: 'calc', type: 'expressionNode', name: 'Totals', position: { x: 300, y: 200 }, content: { expressions: [{ id: 'e1', key: 'total', value: 'price * quantity' }] } },
    { id: 'out', type: 'outputNode', name: 'Response', position: { x: 560, y: 200 } },
  ],
  edges: [
    { id: 'a', sourceId: 'in', targetId: 'calc', type: 'edge' },
    { id: 'b', sourceId: 'calc', targetId: 'out', type: 'edge' },
  ],
};

describe('console administration in Chromium', () => {
  let server: TestServer;
  let chrome: ConsoleBrowser;
  let admin: { context: BrowserContext; page: Page };
  const stagingUrl = '/projects/shop/environments/staging';
  const rows = (page: Page, table: string) => page.getByRole('table', { name: table }).locator('tbody tr.ant-table-row');
  const evaluate = (token: string) =>
    server.request('POST', '/api/projects/shop/evaluate/pricing/sums', { token: null, headers: { 'x-access-token': token }, body: { context: { price: 10, quantity: 3 } } });

  beforeAll(async () => {
    server = await startTestServer();
    expect((await server.request('POST', '/api/projects', { body: { key: 'shop' } })).status).toBe(201);
    expect((await server.request('PUT', '/api/projects/shop/decisions/pricing%2Fsums', { body: { content: SUMS } })).status).toBe(201);
    expect((await server.request('PUT', '/api/projects/shop/decisions/other', { body: { content: SUMS } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/shop/releases', { body: {} })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/shop/releases', { body: { notes: 'same graphs, a second release' } })).status).toBe(201);
    chrome = await launchConsoleBrowser(EXPECTED_ERRORS);
    admin = await chrome.newContext();
    await admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await signIn(admin.page, server.url, server.adminToken, '/projects/shop/environments');
  });

  afterAll(async () => {
    await chrome?.browser.close();
    await server?.close();
  });

  it("creates an environment, showing the server's refusal of a bad key on the field", async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'New environment' }).click();
    const dialog = page.getByRole('dialog', { name: 'New environment' });
    await dialog.getByLabel('Key').fill('Staging Area');
    await dialog.getByRole('button', { name: 'Create' }).click();
    // The server's own words, on the field they are about.
    await dialog.locator('.ant-form-item-explain-error', { hasText: 'must match pattern' }).waitFor();
    expect(await dialog.locator('.ant-alert').count()).toBe(0);
    await chrome.shot(page, '20-environment-refused-key');
    await dialog.getByLabel('Key').fill('staging');
    await dialog.getByLabel('Name').fill('Staging');
    await dialog.getByLabel('Name').press('Enter'); // Enter in any field submits, as a form should
    await page.waitForURL(`**${stagingUrl}`);
    await page.getByRole('heading', { name: 'Environment staging' }).waitFor();
    await page.getByText('Nothing deployed yet').waitFor();
    expect((await server.request('GET', '/api/projects/shop/environments/staging')).body).toMatchObject({ key: 'staging', name: 'Staging', current: null });
  }, 300_000);

  it('lists the deployment history after a deploy and a rollback', async () => {
    const { page } = admin;
    expect((await server.request('POST', '/api/projects/shop/environments/staging/deployments', { body: { release: 'v1' } })).status).toBe(201);
    await page.reload();
    await rows(page, 'Deployment history').first().filter({ hasText: 'v1' }).waitFor();

    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const deploy = page.getByRole('dialog', { name: 'Deploy to staging' });
    await deploy.getByText('v2 (', { exact: false }).waitFor();
    await deploy.getByRole('button', { name: 'Deploy' }).click();
    await page.getByRole('status').filter({ hasText: 'Deployed staging to v2' }).waitFor();

    await page.getByRole('button', { name: 'Roll back' }).click();
    const confirm = page.getByRole('dialog', { name: 'Roll back staging?' });
    await confirm.getByText('serves v2 now').waitFor();
    await confirm.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('status').filter({ hasText: 'Rolled back staging to v1' }).waitFor();

    const history = rows(page, 'Deployment history');
    await expect.poll(() => history.count(), { timeout: 60_000 }).toBe(3);
    const cells = async (i: number) => (await history.nth(i).locator('td').allTextContents()).slice(1);
    expect(await cells(0)).toEqual(['rollback', 'v1', 'v2', 'bootstrap admin']);
    expect(await cells(1)).toEqual(['deploy', 'v2', 'v1', 'bootstrap admin']);
    expect(await cells(2)).toEqual(['deploy', 'v1', 'nothing', 'bootstrap admin']);
    await chrome.shot(page, '21-deployment-history');
  }, 300_000);

  it('creates an evaluation token shown once, evaluates with it, then revokes it', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'New evaluation token' }).click();
    const create = page.getByRole('dialog', { name: 'New evaluation token for staging' });
    await create.getByLabel('Name').fill('checkout');
    await create.getByRole('button', { name: 'Create' }).click();

    const shown = page.getByRole('dialog', { name: 'Evaluation token for staging' });
    await shown.getByText('you will not see it again', { exact: false }).waitFor();
    const token = await shown.getByLabel('New evaluation token', { exact: true }).inputValue();
    expect(token).toMatch(/^vrd_eval_/);
    await shown.getByRole('button', { name: 'Copy new evaluation token' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
    await chrome.shot(page, '22-evaluation-token-once');
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);

    const row = rows(page, 'Evaluation tokens').filter({ hasText: 'checkout' });
    await row.getByText('active').waitFor();
    expect(await row.textContent()).toContain(token.slice(0, 13));

    // The token works: a real evaluation over HTTP, once the node has picked the token up.
    const answer = await waitFor('an evaluation with the new token', async () => {
      const res = await evaluate(token);
      return res.status === 200 && res;
    }, 60_000);
    expect(answer.body).toMatchObject({ result: { total: 30 }, details: { environment: 'staging', releaseLabel: 'v1' } });

    await row.getByRole('button', { name: 'Revoke checkout' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Revoke', exact: true }).click();
    await row.getByText('revoked', { exact: false }).waitFor();
    await chrome.shot(page, '23-evaluation-token-revoked');
    await waitFor('the revoked token to be refused', async () => (await evaluate(token)).status === 401, 60_000);
  }, 300_000);

  it('creates an API token with a role, shown once, and revokes it', async () => {
    const { page } = admin;
    await page.getByRole('banner').getByRole('link', { name: 'API tokens' }).click();
    await page.waitForURL('**/tokens');
    await page.getByRole('button', { name: 'New API token' }).click();
    const create = page.getByRole('dialog', { name: 'New API token' });
    await create.getByLabel('Name').fill('ci-pipeline');
    await create.getByText('deployer', { exact: true }).click();
    await create.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'New API token' }).filter({ hasText: 'you will not see it again' });
    const token = await shown.getByLabel('New API token', { exact: true }).inputValue();
    expect((await server.request('GET', '/api/whoami', { token })).body).toMatchObject({ name: 'ci-pipeline', role: 'deployer' });
    await shown.getByRole('button', { name: 'I have copied it' }).click();

    const row = rows(page, 'API tokens').filter({ hasText: 'ci-pipeline' });
    await row.getByText('deployer', { exact: true }).waitFor();
    await chrome.shot(page, '24-api-tokens');
    await row.getByRole('button', { name: 'Revoke ci-pipeline' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Revoke', exact: true }).click();
    await row.getByText('revoked', { exact: false }).waitFor();
    expect((await server.request('GET', '/api/whoami', { token })).status).toBe(401);
  }, 300_000);

  it('filters the audit log and downloads the filtered entries as CSV', async () => {
    const { page } = admin;
    await page.getByRole('banner').getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL('**/audit');
    await rows(page, 'Audit log').first().waitFor();
    const filters = page.getByRole('form', { name: 'Audit log filters' });
    await filters.getByLabel('Action').fill('evaluation-token.*');
    await filters.getByLabel('Project').fill('shop');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.pathname === '/audit' && url.search === '?action=evaluation-token.*&project=shop');
    await expect.poll(async () => (await rows(page, 'Audit log').allTextContents()).length, { timeout: 60_000 }).toBe(2);
    const actions = await rows(page, 'Audit log').locator('td:nth-child(3)').allTextContents();
    expect(actions).toEqual(['evaluation-token.revoke', 'evaluation-token.create']);
    await chrome.shot(page, '25-audit-filtered');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV of the filtered entries' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^verdict-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const records = csvRecords(await readFile((await download.path())!, 'utf8'));
    expect(records.map((r) => [r.action, r.project, r.actor, JSON.parse(r.details!).name])).toEqual([
      ['evaluation-token.revoke', 'shop', 'bootstrap admin', 'checkout'],
      ['evaluation-token.create', 'shop', 'bootstrap admin', 'checkout'],
    ]);

    // A date range: from tomorrow on, nothing has happened yet (both sides use this machine's time zone).
    const tomorrow = new Date(Date.now() + 86_400_000);
    const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
    await filters.getByLabel('From').fill(day);
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('table', { name: 'Audit log' }).getByText('No entries match').waitFor();
    expect(new URL(page.url()).searchParams.get('from')).toBe(day);

    // Pages of 50 follow the server's cursor: older, then back to newer.
    for (let i = 0; i < 52; i++) expect((await server.request('POST', '/api/tokens', { body: { name: `bulk-${i}`, role: 'viewer' } })).status).toBe(201);
    const all = (await server.request('GET', '/api/audit?action=api-token.create&limit=1000')).body.entries;
    expect(all.length).toBeGreaterThan(50);
    await page.goto(`${server.url}/audit?action=api-token.create`);
    const audit = rows(page, 'Audit log');
    await audit.first().filter({ hasText: 'bulk-51' }).waitFor();
    expect(await audit.count()).toBe(50);
    await page.getByRole('navigation', { name: 'Audit log pages' }).getByRole('button', { name: 'Older' }).click();
    await page.getByText('Page 2,', { exact: false }).waitFor();
    await expect.poll(() => audit.count(), { timeout: 60_000 }).toBe(all.length - 50);
    expect(await audit.last().textContent()).toContain(JSON.stringify(all.at(-1).details).slice(0, 20));
    await page.getByRole('button', { name: 'Newer' }).click();
    await audit.first().filter({ hasText: 'bulk-51' }).waitFor();
  }, 300_000);

  it('renames a decision into another folder and the tree follows', async () => {
    const { page } = admin;
    await page.goto(`${server.url}/projects/shop/decisions`);
    const tree = page.getByRole('tree');
    await tree.getByText('sums', { exact: true }).click();
    await page.getByRole('button', { name: 'Rename' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename pricing/sums' });
    await dialog.getByLabel('New key').fill('other');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await dialog.getByRole('alert').filter({ hasText: "decision 'other' already exists" }).waitFor();
    await dialog.getByLabel('New key').fill('totals/2026/sums');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Renamed pricing/sums to totals/2026/sums').waitFor();
    for (const name of ['totals', '2026', 'sums']) await tree.getByText(name, { exact: true }).waitFor();
    expect(await tree.getByText('pricing', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Open totals/2026/sums' }).waitFor();
    await chrome.shot(page, '26-decision-renamed');
    const history = await server.request('GET', '/api/projects/shop/decisions/totals%2F2026%2Fsums/versions');
    expect(history.body.map((v: any) => v.message)).toEqual(['renamed from pricing/sums', '']);
  }, 300_000);

  it('shows a viewer none of the write buttons, and a deployer the tokens but no new environment', async () => {
    const viewer = await chrome.newContext();
    const { page } = viewer;
    const absent = async (...names: string[]) => {
      for (const name of names) expect(await page.getByRole('button', { name }).count(), `${page.url()}: ${name}`).toBe(0);
    };
    await signIn(page, server.url, await server.tokenFor('viewer'), '/projects/shop/environments');
    await page.locator('tr', { hasText: 'staging' }).getByText('v1', { exact: true }).waitFor();
    await absent('New environment', 'Deploy', 'Roll back');
    await page.getByRole('link', { name: 'staging' }).click();
    await rows(page, 'Deployment history').nth(2).waitFor();
    await absent('Deploy', 'Roll back', 'New evaluation token', 'Revoke');
    expect(await page.getByRole('heading', { name: 'Evaluation tokens' }).count()).toBe(0);
    await chrome.shot(page, '27-viewer-environment');
    await page.getByRole('menuitem', { name: 'Decisions' }).click();
    await page.getByRole('tree').getByText('sums', { exact: true }).click();
    await page.getByRole('button', { name: 'Open totals/2026/sums' }).waitFor();
    await absent('New decision', 'Rename', 'Delete');
    expect(await page.getByRole('banner').getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    expect(await page.getByRole('banner').getByRole('link', { name: 'API tokens' }).count()).toBe(0);
    await page.goto(`${server.url}/audit`);
    await page.getByText('Only admins read the audit log').waitFor();
    await page.goto(`${server.url}/tokens`);
    await page.getByText('Only admins manage API tokens').waitFor();
    await absent('New API token');
    await viewer.context.close();

    const deployer = await chrome.newContext();
    await signIn(deployer.page, server.url, await server.tokenFor('deployer'), stagingUrl);
    await rows(deployer.page, 'Evaluation tokens').filter({ hasText: 'checkout' }).waitFor();
    await deployer.page.getByRole('button', { name: 'New evaluation token' }).waitFor();
    await deployer.page.getByRole('link', { name: 'All environments' }).click();
    await deployer.page.locator('tr', { hasText: 'staging' }).getByRole('button', { name: 'Deploy' }).waitFor();
    expect(await deployer.page.getByRole('button', { name: 'New environment' }).count()).toBe(0);
    await deployer.context.close();
  }, 300_000);

  it('logged no console errors and made no request off the machine', () => {
    expect(chrome.errors).toEqual([]);
    expect(chrome.blocked).toEqual([]);
  });
});
