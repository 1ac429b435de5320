import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchConsoleBrowser, openSimulator, setSimulatorContext, signIn, type ConsoleBrowser } from './browser.js';

/**
 * History and visual diffs in Chromium: two versions of a decision and two releases, shown in the
 * editor's own rendering with what changed marked (node, table cell, expression).
 */
const EXPECTED_ERRORS = /^Failed to load resource: the server responded with a status of 401\b/;

const graph = (threshold: string, withDiscount: boolean) => ({
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request', position: { x: 60, y: 200 } },
    {
      id: 'table',
      type: 'decisionTableNode',
      name: 'Tier',
      position: { x: 320, y: 200 },
      content: {
        hitPolicy: 'first',
        inputs: [{ id: 'c1', name: 'Total', field: 'total' }],
        outputs: [{ id: 'o1', name: 'Tier', field: 'tier' }],
        rules: [
          { _id: 'gold', c1: threshold, o1: "'gold'" },
          { _id: 'basic', c1: '', o1: "'basic'" },
        ],
      },
    },
    ...(withDiscount
      ? [{ id: 'disc', type: 'expressionNode', name: 'Discount', position: { x: 320, y: 400 }, content: { expressions: [{ id: 'e1', key: 'discount', value: 'total * 0.1' }] } }]
      : []),
    { id: 'out', type: 'outputNode', name: 'Response', position: { x: 600, y: 200 } },
  ],
  edges: [
    { id: 'a', sourceId: 'in', targetId: 'table', type: 'edge' },
    { id: 'b', sourceId: 'table', targetId: 'out', type: 'edge' },
    ...(withDiscount ? [{ id: 'c', sourceId: 'in', targetId: 'disc', type: 'edge' }, { id: 'd', sourceId: 'disc', targetId: 'out', type: 'edge' }] : []),
  ],
});

describe('console history and visual diffs in Chromium', () => {
  let server: TestServer;
  let chrome: ConsoleBrowser;
  let admin: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    server = await startTestServer();
    const put = async (content: unknown) => expect((await server.request('PUT', '/api/projects/shop/decisions/pricing%2Ftier', { body: { content } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects', { body: { key: 'shop' } })).status).toBe(201);
    await put(graph('>= 100', false));
    expect((await server.request('POST', '/api/projects/shop/releases', { body: { label: 'r1' } })).status).toBe(201);
    await put(graph('>= 150', true));
    expect((await server.request('POST', '/api/projects/shop/releases', { body: { label: 'r2' } })).status).toBe(201);
    chrome = await launchConsoleBrowser(EXPECTED_ERRORS);
    admin = await chrome.newContext();
    await signIn(admin.page, server.url, server.adminToken, '/projects/shop/history/pricing/tier');
  });

  afterAll(async () => {
    await chrome?.browser.close();
    await server?.close();
  });

  it("lists a decision's versions and marks what changed from the one before", async () => {
    const { page } = admin;
    await page.getByRole('table', { name: 'Versions' }).locator('tr', { hasText: 'v2' }).waitFor();
    const changes = page.getByRole('list', { name: 'Changed nodes' });
    await changes.locator('li', { hasText: 'Discount' }).getByText('added').waitFor();
    await changes.locator('li', { hasText: 'Tier' }).getByText('modified').waitFor();
    // In the editor's rendering: the new node marked added, the table marked modified.
    await page.locator('.react-flow__node .grl-dn--diff-added', { hasText: 'Discount' }).waitFor({ timeout: 120_000 });
    await page.locator('.react-flow__node .grl-dn--diff-modified', { hasText: 'Tier' }).waitFor();
    await chrome.shot(page, '13-history-diff');
    // The same versions the other way round: the node is now removed.
    await page.goto(`${server.url}/projects/shop/history/pricing/tier?from=2&to=1`);
    await page.getByRole('list', { name: 'Changed nodes' }).locator('li', { hasText: 'Discount' }).getByText('removed').waitFor();
  }, 300_000);

  it('opens the table of a changed node with the changed cell marked', async () => {
    const { page } = admin;
    await page.goto(`${server.url}/projects/shop/history/pricing/tier?from=1&to=2`);
    await page.locator('.react-flow__node', { hasText: 'Tier' }).getByText('Edit Table').click({ timeout: 120_000 });
    const cell = page.locator('.diff-modified, .diff-added', { hasText: '>= 150' });
    await cell.first().waitFor();
    await chrome.shot(page, '14-history-table-cell');
  }, 300_000);

  it('compares two releases: the changed decision, and its diff', async () => {
    const { page } = admin;
    await page.goto(`${server.url}/projects/shop/releases`);
    await page.getByRole('link', { name: 'Compare releases' }).click();
    await page.waitForURL('**/projects/shop/releases/compare');
    const differ = page.getByRole('table', { name: 'Decisions that differ' });
    await differ.locator('tr', { hasText: 'pricing/tier' }).getByText('v1 → v2').waitFor();
    await differ.getByRole('link', { name: 'pricing/tier' }).click();
    await page.waitForURL(/decision=pricing%2Ftier/);
    await page.getByRole('list', { name: 'Changed nodes' }).locator('li', { hasText: 'Discount' }).getByText('added').waitFor();
    await page.locator('.react-flow__node .grl-dn--diff-added', { hasText: 'Discount' }).waitFor({ timeout: 120_000 });
    await chrome.shot(page, '15-release-compare');
  }, 300_000);

  it('simulates a saved version and a release, each as it was saved', async () => {
    const { page } = admin;
    await page.goto(`${server.url}/projects/shop/decisions/pricing/tier`);
    const simulator = await openSimulator(page, 'Tier', 120_000);
    await setSimulatorContext(page, '{"total": 120}');
    const runAgainst = async (label: string, tier: string) => {
      await simulator.locator('.ant-select', { has: page.getByRole('combobox', { name: 'Run against' }) }).click();
      await page.locator('.ant-select-item-option', { hasText: label }).click();
      await simulator.getByRole('button', { name: 'Run' }).click();
      await simulator.locator('.grl-dg__simulator__response .view-lines', { hasText: tier }).waitFor();
    };
    // Release r1 has the threshold at 100 (gold), version 2 (and r2) at 150 (basic).
    await runAgainst('Release r1', 'gold');
    await chrome.shot(page, '16-simulate-release');
    await runAgainst('Saved version v2', 'basic');
    await runAgainst('Saved version v1', 'gold');
  }, 300_000);

  it('logged no console errors and made no request off the machine', () => {
    expect(chrome.errors).toEqual([]);
    expect(chrome.blocked).toEqual([]);
  });
});
