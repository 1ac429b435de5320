import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { connect } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { LocalPgCluster } from '../src/local-pg/index.js';
import { readCorpus } from '../test/helpers/corpus.js';
import { CHROMIUM, FLAGS } from '../test/console/chromium.js';
import { fmt, percentile } from './lib.js';
import { startBenchNode } from './node.js';

const RUNS = 3;

/** Milliseconds since the page's navigation began, read in the page once `ready` resolves. */
async function sinceNavigation(page: Page, url: string, ready: () => Promise<unknown>): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  await ready();
  return page.evaluate(() => performance.now());
}

/**
 * The web console in Chromium (built assets as `npm start` serves them, loopback only): time to
 * first render of the project list, to the decision editor with the 8k-row table (the corpus's
 * 8k.json, 2.8 MB), and to that table open. Each run in a fresh browser context (a cold cache).
 */
export async function benchConsole(): Promise<void> {
  console.log('\n## Web console render times (Chromium headless, cold cache per run)');
  if (!existsSync(CHROMIUM)) {
    console.log(`skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set VERDICT_CHROMIUM)`);
    return;
  }
  const root = mkdtempSync(path.join(tmpdir(), 'verdict-bench-console-'));
  chmodSync(root, 0o755);
  const cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable: false });
  let browser: Browser | undefined;
  let stopNode: (() => Promise<void>) | undefined;
  try {
    await cluster.init();
    await cluster.start();
    const sql = connect(cluster.url());
    await migrate(sql);
    await sql.end();
    const { node, token } = await startBenchNode({ writerUrl: cluster.url() }, pino({ level: 'silent' }), { config: { bodyLimitBytes: 64 * 1024 * 1024 } });
    stopNode = () => node.close();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const call = async (method: string, p: string, body: unknown) => {
      const res = await fetch(`${node.url}${p}`, { method, headers, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    };
    for (let i = 0; i < 20; i++) await call('POST', '/api/projects', { key: `project-${String(i).padStart(2, '0')}` });
    await call('PUT', `/api/projects/project-00/decisions/${encodeURIComponent('big/8k')}`, { content: readCorpus('engine-cases', '8k.json') });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    const projects: number[] = [];
    const editor: number[] = [];
    const table: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      context.setDefaultTimeout(300_000);
      await context.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
      // Signed in as the console does it: the token exchanged for the session cookie.
      const signIn = await context.request.post(`${node.url}/api/session`, { headers: { authorization: `Bearer ${token}` } });
      if (!signIn.ok()) throw new Error(`sign-in: ${signIn.status()}`);
      const page = await context.newPage();
      projects.push(await sinceNavigation(page, `${node.url}/projects`, () => page.locator('.ant-table-row').first().waitFor()));
      const bigTable = page.locator('.react-flow__node', { hasText: 'decisionTableNode 1' });
      editor.push(await sinceNavigation(page, `${node.url}/projects/project-00/decisions/big/8k`, () => bigTable.waitFor()));
      const opened = performance.now();
      await bigTable.getByText('Edit Table').click();
      await page.locator('tr.table-row').first().waitFor();
      table.push(performance.now() - opened);
      await context.close();
    }
    const row = (name: string, values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      console.log(`${name}: median ${fmt(percentile(sorted, 50))} ms (runs: ${values.map((v) => fmt(v)).join(', ')} ms)`);
    };
    row('project list (20 projects), first render from navigation', projects);
    row('decision editor with the 8k-row table node, from navigation', editor);
    row('8k-row table opened, first rows shown, from the click', table);
  } finally {
    await browser?.close();
    await stopNode?.();
    await cluster.stop('fast').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
