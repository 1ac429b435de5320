import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CHROMIUM, FLAGS } from './chromium.js';

export { CHROMIUM, FLAGS };

export const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface ConsoleBrowser {
  readonly browser: Browser;
  /** Requests the pages tried to send off the machine (all aborted). */
  readonly blocked: string[];
  /** Console errors and uncaught exceptions of the pages, but those `expected` matches. */
  readonly errors: string[];
  /** A fresh browser context (its own cookies) where nothing but loopback can be reached. */
  newContext(): Promise<{ context: BrowserContext; page: Page }>;
  shot(page: Page, name: string): Promise<unknown>;
}

/** Launches Chromium (launch() gives every run a fresh, temporary user-data-dir of its own). */
export async function launchConsoleBrowser(expected: RegExp): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set VERDICT_CHROMIUM)`);
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const blocked: string[] = [];
  const errors: string[] = [];
  return {
    browser,
    blocked,
    errors,
    async newContext() {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      // The editor chunk (jdm-editor + Monaco, megabytes of script) takes tens of seconds to parse
      // on a 2-core machine that is busy with other tests: wait on the condition, long.
      context.setDefaultTimeout(120_000);
      context.setDefaultNavigationTimeout(120_000);
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (LOOPBACK.has(url.hostname)) return route.continue();
        blocked.push(url.href);
        return route.abort('internetdisconnected');
      });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error' && !expected.test(message.text())) errors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
      return { context, page };
    },
    shot: (page, name) => page.screenshot({ path: `${SHOTS}${name}.png` }),
  };
}

/** Signs in on the sign-in page a deep link leads to, and waits to be back on that link. */
export async function signIn(page: Page, url: string, token: string, path: string): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${path}`);
}

/**
 * Opens the decision editor's simulator panel once the graph shows `node`, and waits for its
 * context editor: the simulator's locator.
 */
export async function openSimulator(page: Page, node: string, timeout = 60_000): Promise<Locator> {
  await page.locator('.react-flow__node', { hasText: node }).waitFor({ timeout });
  await page.locator('.grl-dg__aside__side-bar__bottom button').click();
  const simulator = page.locator('.grl-dg__simulator');
  await simulator.locator('[data-testid="simulator-context"] .monaco-editor').waitFor({ timeout });
  return simulator;
}

/**
 * Replaces the simulator's context in one input event (keystrokes can race Monaco on a busy
 * machine), checking the editor emptied first and then holds exactly the text.
 */
export async function setSimulatorContext(page: Page, text: string): Promise<void> {
  const editor = page.locator('[data-testid="simulator-context"] .monaco-editor');
  // Monaco renders spaces as no-break spaces.
  const shown = async () => ((await editor.locator('.view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await expect.poll(shown).toBe('');
  await page.keyboard.insertText(text);
  await expect.poll(shown).toBe(text);
}
