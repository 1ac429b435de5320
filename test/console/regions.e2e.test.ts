import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalPostgres } from '../../src/chaos/context.js';
import type { DrillReport } from '../../src/drill/drill.js';
import { saveInLab } from '../../src/drill/lab-reports.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import { findRegion, nodeUrl, readLabState, type LabState } from '../../src/lab/state.js';
import { launchConsoleBrowser, SHOTS, signIn, type ConsoleBrowser } from './browser.js';

/**
 * The Regions screen on a real 2-region lab (the project's own lab code: a primary in region-1,
 * a synchronous standby in region-2, one Verdict node each, given the lab's topology.yaml): both
 * regions healthy, then region-1's PostgreSQL killed by pid (every process, as the chaos suite
 * does), and the screen, pushed by its event stream, turns region-1 red without a reload.
 */
// The session probe before sign-in (401). Any other console error fails the test.
const EXPECTED_ERRORS = /^Failed to load resource: the server responded with a status of 401\b/;
// A busy 2-core machine: building the lab, starting nodes and Chromium take long. Wait on conditions.
const LONG = 300_000;
const WAIT = { timeout: 120_000 };

/** A drill report as `dr drill --dir` keeps it in the lab (figures made up: the screen lists, it does not judge). */
function sampleReport(dir: string): DrillReport {
  return {
    startedAt: '2026-12-01T10:00:00.000Z',
    lab: { dir, builtForTheDrill: false },
    config: { regions: 2, nodesPerRegion: 1, topology: 'active-active', replication: { mode: 'sync', standbys: 1 }, durationS: 20, concurrency: 2, writesPerSecond: 20 },
    kill: { region: 'region-1', startedAtMs: 6000, atMs: 6040 },
    promotion: {
      promoted: 'region-2', oldPrimary: 'region-1', oldPrimaryFence: 'confirmed lost by the operator', generation: 2, timeline: 2, standbys: [],
      replication: {} as DrillReport['promotion']['replication'], steps: [{ step: 'promote', startedAtMs: 0, tookMs: 310 }], totalMs: 1450, startedAtMs: 6500, finishedAtMs: 7950,
    },
    writes: { acknowledged: 240, lost: [], duplicates: [], unexpected: [], unacknowledged: 1, unacknowledgedApplied: 0, attempted: 241, rtoMs: 2100, longestGapMs: 2100 } as unknown as DrillReport['writes'],
    evaluations: [{ region: 'region-2', killed: false, requests: 4000, errors: 0, errorsAfterKill: 0, errorKinds: {}, p50Ms: 2, p99Ms: 9 }],
    evaluationDowntimeMs: null,
    propagation: { ms: 420, nodes: 1 },
    series: [0, 1, 2].map((second) => ({ second, region: 'region-2', ok: 200, errors: 0 })),
    writeSeries: [0, 1, 2].map((second) => ({ second, acknowledged: 20 })),
    checks: [{ name: 'RPO', ok: true, detail: '0 lost' }],
    passed: true,
  };
}

const GRAPH = {
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request', position: { x: 60, y: 100 } },
    { id: 'calc', type: 'expressionNode', name: 'Double', position: { x: 300, y: 100 }, content: { expressions: [{ id: 'e1', key: 'twice', value: 'value * 2' }] } },
    { id: 'out', type: 'outputNode', name: 'Response', position: { x: 540, y: 100 } },
  ],
  edges: [
    { id: 'a', sourceId: 'in', targetId: 'calc', type: 'edge' },
    { id: 'b', sourceId: 'calc', targetId: 'out', type: 'edge' },
  ],
};

/** Something deployed, so every node shows the release it serves. */
async function deploySomething(url: string, token: string): Promise<void> {
  const call = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
  };
  await call('POST', '/api/projects', { key: 'demo' });
  await call('PUT', '/api/projects/demo/decisions/double', { content: GRAPH });
  await call('POST', '/api/projects/demo/releases', {});
  await call('POST', '/api/projects/demo/environments', { key: 'prod' });
  await call('POST', '/api/projects/demo/environments/prod/deployments?wait=fleet', { release: 'v1' });
}

describe('console Regions screen on a 2-region lab', () => {
  let dir: string | undefined;
  let chrome: ConsoleBrowser | undefined;
  let state: LabState;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'verdict-regions-e2e-'));
    chmodSync(dir, 0o755); // the postgres OS user must reach the data directories
    // labUp stops whatever it started when it fails; afterAll stops the rest.
    await labUp({ dir, regions: 2, nodesPerRegion: 1, replication: { mode: 'sync', standbys: 1 }, topology: 'active-active', durable: false });
    state = readLabState(dir);
    await deploySomething(nodeUrl(findRegion(state, 'region-1').nodes[0]!), state.adminToken);
    saveInLab(dir, sampleReport(dir));
    chrome = await launchConsoleBrowser(EXPECTED_ERRORS);
  }, LONG);

  afterAll(async () => {
    await chrome?.browser.close().catch(() => undefined);
    if (!dir) return;
    // Every node and server by pid (the killed region's server is already gone).
    await labDown(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, LONG);

  const card = (page: Page, region: string) => page.getByRole('region', { name: `Region ${region}`, exact: true });
  // The whole page, top to bottom: the picture, every region and the drill reports.
  const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  const status = (page: Page, region: string, word: string) => card(page, region).getByRole('status', { name: `Region ${region} status: ${word}`, exact: true });

  it('shows both regions healthy, then the killed primary region turns red live, without a reload', async () => {
    // A region-2 node: it survives the loss of region-1 and keeps answering from its replica.
    const node = findRegion(state, 'region-2').nodes[0]!;
    const { page } = await chrome!.newContext();
    await signIn(page, nodeUrl(node), state.adminToken, '/regions');

    await status(page, 'region-1', 'OK').waitFor(WAIT);
    await status(page, 'region-2', 'OK').waitFor(WAIT);
    await page.getByRole('status', { name: /^Live,/ }).waitFor(WAIT);
    await page.getByText('One primary: region-1').waitFor(WAIT);
    await card(page, 'region-2').getByText(/streams from region-1/).waitFor(WAIT);
    await card(page, 'region-2').getByRole('img', { name: /^Replay lag of standby 127\.0\.0\.1:\d+/ }).waitFor(WAIT);
    const diagram = page.getByRole('img', { name: /^Topology\./ });
    expect(await diagram.getAttribute('aria-label')).toMatch(/region-2: ok, standby streaming from region-1 \(sync\)/);
    // Every node is listed in its region with the release it serves.
    await card(page, 'region-1').getByText('region-1-a').waitFor(WAIT);
    await card(page, 'region-2').getByText('region-2-a').waitFor(WAIT);
    await card(page, 'region-1').getByText('demo/prod: v1', { exact: true }).waitFor(WAIT);
    await card(page, 'region-2').getByText('demo/prod: v1', { exact: true }).waitFor(WAIT);
    // The drill report kept in the lab, with its verdict; its link opens the timeline page.
    const drills = page.getByRole('table', { name: 'Drill reports' });
    await drills.getByRole('row', { name: /drill-2026-12-01T10-00-00-000Z.*PASSED/ }).waitFor(WAIT);
    await shot(page, '30-regions-healthy');

    // By keyboard: the report's link takes focus and Enter opens it in a new tab.
    await drills.getByRole('link', { name: 'drill-2026-12-01T10-00-00-000Z' }).focus();
    const [report] = await Promise.all([page.context().waitForEvent('page'), page.keyboard.press('Enter')]);
    await report.getByRole('heading', { name: 'Verdict disaster-recovery drill' }).waitFor(WAIT);
    await report.close();

    // From here the page must not load again: a marker in this document must survive.
    await page.evaluate('window.__regionsDocument = "before the kill"');
    const killed = signalPostgres(findRegion(state, 'region-1'), 'SIGKILL');
    expect(killed).toBeGreaterThan(0);

    await status(page, 'region-1', 'Failed').waitFor(WAIT);
    await card(page, 'region-1').getByText(/PostgreSQL 127\.0\.0\.1:\d+ is unreachable/).waitFor(WAIT);
    await card(page, 'region-1').getByText('UNREACHABLE', { exact: true }).waitFor(WAIT);
    await page.getByText('No primary: no writable server with the highest cluster generation answers.').waitFor(WAIT);
    expect(await diagram.getAttribute('aria-label')).toMatch(/region-1: failed, unreachable/);
    expect(await page.evaluate('window.__regionsDocument')).toBe('before the kill');
    await page.getByRole('status', { name: /^Live,/ }).waitFor(WAIT);
    await shot(page, '31-regions-primary-region-lost');

    expect(chrome!.errors).toEqual([]);
    expect(chrome!.blocked).toEqual([]);
  }, LONG);
});
