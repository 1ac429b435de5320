import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchConsoleBrowser, openSimulator, setSimulatorContext, signIn, type ConsoleBrowser } from './browser.js';

/**
 * The console's simulator, releases and environments in Chromium against a real server: run a
 * draft with trace (matched table row marked), cut a release, deploy it with a wait, roll back.
 */
// The session probe before sign-in (401) and the release refused because a test case fails (422).
// Any other console error fails the test.
const EXPECTED_ERRORS = /^Failed to load resource: the server responded with a status of (401|422)\b/;

const TIER = {
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request', position: { x: 60, y: 200 } },
    { id: 'calc', type: 'expressionNode', name: 'Totals', position: { x: 300, y: 200 }, content: { expressions: [{ id: 'e1', key: 'total', value: 'price * quantity' }] } },
    {
      id: 'table',
      type: 'decisionTableNode',
      name: 'Tier',
      position: { x: 560, y: 200 },
      content: {
        hitPolicy: 'first',
        inputs: [{ id: 'c1', name: 'Total', field: 'total' }],
        outputs: [{ id: 'o1', name: 'Tier', field: 'tier' }],
        rules: [
          { _id: 'gold', c1: '>= 100', o1: "'gold'" },
          { _id: 'basic', c1: '', o1: "'basic'" },
        ],
      },
    },
    { id: 'out', type: 'outputNode', name: 'Response', position: { x: 820, y: 200 } },
  ],
  edges: [
    { id: 'a', sourceId: 'in', targetId: 'calc', type: 'edge' },
    { id: 'b', sourceId: 'calc', targetId: 'table', type: 'edge' },
    { id: 'c', sourceId: 'table', targetId: 'out', type: 'edge' },
  ],
};

describe('console simulator, releases and deployments in Chromium', () => {
  let server: TestServer;
  let chrome: ConsoleBrowser;
  let admin: { context: BrowserContext; page: Page };
  const tierUrl = '/projects/pricing/decisions/pricing/tier';

  beforeAll(async () => {
    server = await startTestServer();
    expect((await server.request('POST', '/api/projects', { body: { key: 'pricing' } })).status).toBe(201);
    expect((await server.request('PUT', '/api/projects/pricing/decisions/pricing%2Ftier', { body: { content: TIER } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/pricing/environments', { body: { key: 'prod' } })).status).toBe(201);
    // Something deployed already, so the release cut in the console has something to roll back to.
    expect((await server.request('POST', '/api/projects/pricing/releases', { body: {} })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/pricing/environments/prod/deployments', { body: { release: 'v1' } })).status).toBe(201);
    chrome = await launchConsoleBrowser(EXPECTED_ERRORS);
    admin = await chrome.newContext();
    await signIn(admin.page, server.url, server.adminToken, tierUrl);
  });

  afterAll(async () => {
    await chrome?.browser.close();
    await server?.close();
  });

  it('simulates the draft: output, a trace entry per node and the matched table row', async () => {
    const { page } = admin;
    const simulator = await openSimulator(page, 'Tier');

    await setSimulatorContext(page, 'price: 10');
    await simulator.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('alert').filter({ hasText: 'The context is not valid JSON' }).waitFor();

    await setSimulatorContext(page, '{"price": 60, "quantity": 2}');
    await simulator.getByRole('button', { name: 'Run' }).click();
    await simulator.locator('.grl-dg__simulator__nodes-list__node', { hasText: 'Totals' }).waitFor();
    await simulator.locator('.grl-dg__simulator__nodes-list__node', { hasText: 'Tier' }).waitFor();
    expect(await page.getByRole('alert').filter({ hasText: 'not valid JSON' }).count()).toBe(0);
    await simulator.locator('.grl-dg__simulator__response .view-lines', { hasText: 'gold' }).waitFor();
    await chrome.shot(page, '08-simulator');

    await page.getByText('Edit Table').click();
    const matched = page.locator('tr.table-row.active');
    await matched.waitFor();
    expect(await matched.textContent()).toContain('gold');
    await chrome.shot(page, '09-simulator-matched-row');
  }, 300_000);

  it('cuts a release and shows what the server froze', async () => {
    const { page } = admin;
    await page.goto(`${server.url}/projects/pricing/releases`);
    await page.getByRole('button', { name: 'New release' }).click();
    await page.getByLabel('Label').fill('2026.11.25-1');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByRole('status').filter({ hasText: 'Release 2026.11.25-1 created with 1 decision' }).waitFor();
    await page.getByRole('status').getByText('pricing/tier v1').waitFor();
    await page.locator('tr', { hasText: '2026.11.25-1' }).waitFor();
    await chrome.shot(page, '10-releases');
    expect((await server.request('GET', '/api/projects/pricing/releases/2026.11.25-1')).status).toBe(200);
  }, 300_000);

  it('deploys the release waiting for replicas, then rolls back after confirming', async () => {
    const { page } = admin;
    await page.getByRole('menuitem', { name: 'Environments' }).click();
    await page.waitForURL('**/projects/pricing/environments');
    const prod = page.locator('tr', { hasText: 'prod' });
    await prod.getByText('v1', { exact: true }).waitFor();

    await prod.getByRole('button', { name: 'Deploy' }).click();
    const deploy = page.getByRole('dialog', { name: 'Deploy to prod' });
    await deploy.getByText('2026.11.25-1', { exact: false }).waitFor();
    await deploy.getByText('Replicas', { exact: true }).click();
    await deploy.getByRole('button', { name: 'Deploy' }).click();
    await page.getByRole('status').filter({ hasText: 'Deployed prod to 2026.11.25-1' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'checked' }).waitFor();
    await prod.getByText('2026.11.25-1', { exact: true }).waitFor();
    await chrome.shot(page, '11-deployed');
    expect((await server.request('GET', '/api/projects/pricing/environments/prod')).body.current.releaseLabel).toBe('2026.11.25-1');

    await prod.getByRole('button', { name: 'Roll back' }).click();
    const confirm = page.getByRole('dialog', { name: 'Roll back prod?' });
    await confirm.getByText('serves 2026.11.25-1 now').waitFor();
    await chrome.shot(page, '12-rollback-confirmation');
    await confirm.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('status').filter({ hasText: 'Rolled back prod to v1' }).waitFor();
    await prod.getByText('v1', { exact: true }).waitFor();
    expect((await server.request('GET', '/api/projects/pricing/environments/prod')).body.current.releaseLabel).toBe('v1');
  }, 300_000);

  it('keeps a simulation as a test case, runs all, shows a failing case, and gates a release on them', async () => {
    const { page } = admin;
    await page.goto(`${server.url}${tierUrl}`);
    const simulator = await openSimulator(page, 'Tier');
    await setSimulatorContext(page, '{"price": 60, "quantity": 2}');
    await simulator.getByRole('button', { name: 'Run' }).click();
    await simulator.locator('.grl-dg__simulator__response .view-lines', { hasText: 'gold' }).waitFor();

    // The simulation becomes a case (its context, its result as expected); Enter adds it.
    await page.getByRole('button', { name: 'Tests (0)' }).click();
    const drawer = page.getByRole('region', { name: 'Test cases of pricing/tier' });
    await drawer.getByRole('button', { name: 'Add test case' }).click();
    const add = page.getByRole('dialog', { name: 'Add test case' });
    expect(JSON.parse(await add.getByLabel('Input (JSON)').inputValue())).toEqual({ price: 60, quantity: 2 });
    expect(JSON.parse(await add.getByLabel('Expected output (JSON)').inputValue())).toEqual({ tier: 'gold' });
    await add.getByLabel('Name').fill('gold order');
    await add.getByLabel('Name').press('Enter');
    await drawer.locator('tr', { hasText: 'gold order' }).waitFor();
    await page.getByText('Unsaved changes', { exact: true }).waitFor();
    // Ctrl+S saves the cases with the decision.
    await page.keyboard.press('Control+s');
    await page.getByText('Unsaved changes', { exact: true }).waitFor({ state: 'detached' });
    const saved = await server.request('GET', '/api/projects/pricing/decisions/pricing%2Ftier');
    expect(saved.body.content.tests).toEqual([{ name: 'gold order', input: { price: 60, quantity: 2 }, output: { tier: 'gold' } }]);
    await drawer.getByRole('button', { name: 'Run all' }).click();
    await drawer.getByRole('status', { name: 'Test results' }).filter({ hasText: '1 passed, 0 failed' }).waitFor();

    // A case whose expected output is wrong fails, and says where.
    await drawer.getByRole('button', { name: 'Add test case' }).click();
    await add.getByLabel('Name').fill('small order');
    await add.getByLabel('Input (JSON)').fill('{"price": 1, "quantity": 1}');
    await add.getByLabel('Expected output (JSON)').fill('{"tier": "gold"');
    await add.getByRole('button', { name: 'Add' }).click();
    await add.getByText('Expected output is not valid JSON').waitFor();
    await add.getByLabel('Expected output (JSON)').fill('{"tier": "gold"}');
    await add.getByRole('button', { name: 'Add' }).click();
    await drawer.locator('tr', { hasText: 'small order' }).waitFor();
    await page.keyboard.press('Control+s');
    await page.getByText('Unsaved changes', { exact: true }).waitFor({ state: 'detached' });
    await drawer.getByRole('button', { name: 'Run all' }).click();
    await drawer.getByRole('status', { name: 'Test results' }).filter({ hasText: '1 passed, 1 failed' }).waitFor();
    const failed = drawer.locator('tr', { hasText: 'small order' });
    await failed.getByText('Failed', { exact: true }).waitFor();
    await failed.getByRole('button', { name: /expand row/i }).click();
    const differences = drawer.getByRole('table', { name: 'Differences of test case 2' });
    await differences.locator('tr', { hasText: '/tier' }).getByText('"basic"').waitFor();
    await chrome.shot(page, '17-test-cases');
    await page.keyboard.press('Escape');

    // A release that requires passing tests is refused while one fails; nothing is written.
    const before = (await server.request('GET', '/api/projects/pricing/releases')).body.length;
    await page.goto(`${server.url}/projects/pricing/releases`);
    await page.getByRole('button', { name: 'New release' }).click();
    const dialog = page.getByRole('dialog', { name: 'New release' });
    await dialog.getByLabel('Require passing tests').check();
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: '1 of 2 test cases failed, so no release was made' }).waitFor();
    await chrome.shot(page, '18-release-refused-by-tests');
    expect((await server.request('GET', '/api/projects/pricing/releases')).body.length).toBe(before);
  }, 300_000);

  it('shows each role only the buttons it may use', async () => {
    const viewer = await chrome.newContext();
    await signIn(viewer.page, server.url, await server.tokenFor('viewer'), '/projects/pricing/environments');
    await viewer.page.locator('tr', { hasText: 'prod' }).getByText('v1', { exact: true }).waitFor();
    expect(await viewer.page.getByRole('button', { name: 'Deploy' }).count()).toBe(0);
    expect(await viewer.page.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    await viewer.page.getByRole('menuitem', { name: 'Releases' }).click();
    await viewer.page.locator('tr', { hasText: '2026.11.25-1' }).waitFor();
    expect(await viewer.page.getByRole('button', { name: 'New release' }).count()).toBe(0);
    await viewer.context.close();

    const deployer = await chrome.newContext();
    await signIn(deployer.page, server.url, await server.tokenFor('deployer'), '/projects/pricing/environments');
    await deployer.page.locator('tr', { hasText: 'prod' }).getByRole('button', { name: 'Deploy' }).waitFor();
    await deployer.page.goto(`${server.url}${tierUrl}`);
    await deployer.page.locator('.react-flow__node', { hasText: 'Tier' }).waitFor({ timeout: 60_000 });
    await deployer.page.getByText('Read only').waitFor();
    // Deployers may not simulate (the server refuses it): no simulator panel for them.
    expect(await deployer.page.locator('.grl-dg__aside__side-bar__bottom button').count()).toBe(0);
    await deployer.context.close();
  }, 300_000);

  it('logged no console errors and made no request off the machine', () => {
    expect(chrome.errors).toEqual([]);
    expect(chrome.blocked).toEqual([]);
  });
});
