import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSsoServer, type TestProvider } from '../helpers/oidc-provider.js';
import type { TestServer } from '../helpers/server.js';
import { launchConsoleBrowser, type ConsoleBrowser } from './browser.js';

/**
 * Single sign-on in a real browser (Debian's Chromium): the console's "Sign in with SSO" button,
 * the provider's own login and consent pages (oidc-provider's development pages, on 127.0.0.1),
 * and back in the console as the person, with the role their groups map to; then sign-out.
 */
// Expected console errors: the session probe before sign-in (401), and the web font the
// provider's development pages import from Google (blocked: nothing leaves the machine).
const EXPECTED_ERRORS = /^Failed to load resource: (the server responded with a status of 401\b|net::ERR_INTERNET_DISCONNECTED)/;

describe('single sign-on in Chromium', () => {
  let server: TestServer;
  let provider: TestProvider;
  let stop: () => Promise<void>;
  let chrome: ConsoleBrowser;

  beforeAll(async () => {
    ({ server, provider, close: stop } = await startSsoServer(
      { alice: { email: 'alice@example.com', name: 'Alice', groups: ['release-managers'] } },
      { roleMap: 'rules-admins=admin,rules-authors=editor,release-managers=deployer,*=viewer' },
    ));
    await server.request('POST', '/api/projects', { body: { key: 'pricing' } });
    chrome = await launchConsoleBrowser(EXPECTED_ERRORS);
  });
  afterAll(async () => {
    await chrome?.browser.close();
    await stop?.();
  });

  it('signs in through the provider and lands in the console with the role the groups map to; signs out', async () => {
    const { context, page } = await chrome.newContext();
    await page.goto(`${server.url}/projects/pricing/environments`);
    await page.waitForURL('**/sign-in?next=*');
    // Both ways in: single sign-on, and the API token form.
    await page.getByLabel('API token').waitFor();
    const sso = page.getByRole('link', { name: 'Sign in with SSO' });
    await sso.waitFor();
    await chrome.shot(page, 'sso-01-sign-in');
    await sso.click();

    // The provider's pages: login (any password), then consent.
    await page.waitForURL(`${provider.issuer}/**`);
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('correct horse');
    await chrome.shot(page, 'sso-02-provider-login');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Back in the console, on the deep link, as alice, deployer by her group.
    await page.waitForURL(`${server.url}/projects/pricing/environments`);
    const header = page.locator('header');
    await header.getByText('alice@example.com').waitFor();
    await header.getByText('deployer', { exact: true }).waitFor();
    await chrome.shot(page, 'sso-03-signed-in');
    // A deployer sees no admin-only screens.
    expect(await header.getByText('API tokens').count()).toBe(0);

    const cookie = (await context.cookies(`${server.url}/api/session`)).find((c) => c.name === 'verdict_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api' });
    expect(cookie.value).toMatch(/^vrd_sso_/);
    expect(JSON.stringify(await page.evaluate('[document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)]'))).not.toContain('vrd_sso_');

    await header.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    // Signed out on the server: the old cookie's value opens nothing.
    const after = await fetch(`${server.url}/api/session`, { headers: { cookie: `verdict_session=${cookie.value}` } });
    expect(after.status).toBe(401);
    expect((await context.cookies(`${server.url}/api/session`)).find((c) => c.name === 'verdict_session')).toBeUndefined();

    // Nothing but the provider pages' web font tried to leave the machine.
    expect(chrome.blocked.filter((url) => !url.startsWith('https://fonts.googleapis.com/'))).toEqual([]);
    expect(chrome.errors).toEqual([]);
    await context.close();
  }, 300_000);
});
