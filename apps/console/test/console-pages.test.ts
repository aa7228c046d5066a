/**
 * The console's reading and owner pages end to end: Check an address, REST API logs, Audit log, Users
 * and tokens and the tenant switcher, in Debian's Chromium against a real `ipgate serve --demo` on
 * SQLite, with real requests through the gateway from 127.0.0.x source addresses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../cli/src/cli.test-support.js';
import { type ServeRun, startServe } from '../../cli/src/serve.test-support.js';
import { callGateway, consoleTestsSkip, launchChromium, screenshotAndAxe } from './console.test-support.js';

const skip = consoleTestsSkip();

describe.skipIf(skip !== undefined)('the console’s check, log, audit and owner pages in Chromium', () => {
  let dir: string;
  let serve: ServeRun;
  let browser: Browser;
  let owner: BrowserContext;
  let page: Page;
  let password: string;
  let tenantId: string;
  let keySecret: string;
  const consoleUrl = () => `${serve.adminUrl}/console/`;

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'ipgate-console-pages-'));
    serve = await startServe(['--demo', '--demo-upstream-port', '0', '--data-dir', dir]);
    password = /sign in as owner, password: (\S+)/.exec(serve.banner)?.[1] as string;
    tenantId = /Demo: tenant (ten_\w+)/.exec(serve.banner)?.[1] as string;
    keySecret = /Bearer (ipg_live_[\w-]+)/.exec(serve.banner)?.[1] as string;
    expect(password, serve.banner).toBeDefined();
    browser = await launchChromium();
    owner = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // A locator that never appears fails with its name well before the test's own timeout.
    owner.setDefaultTimeout(10_000);
    page = await owner.newPage();
    await signIn(page, 'owner', password);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function signIn(p: Page, name: string, secret: string): Promise<void> {
    await p.goto(consoleUrl());
    await p.getByLabel('User name').fill(name);
    await p.getByLabel(/^Password/).fill(secret);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'API IP Restriction' }).waitFor();
  }

  async function open(p: Page, label: string, heading = label): Promise<void> {
    await p.getByRole('navigation').getByRole('link', { name: label }).click();
    await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
  }

  it('Check an address: the decision and the rule that decided, for an address and a key', async () => {
    await open(page, 'Check an address');
    expect(page.url()).toBe(`${consoleUrl()}t/${tenantId}/check`);
    const address = page.getByRole('textbox', { name: /^Address/ });
    // The address the console is used from is the first guess.
    expect(await address.inputValue()).toBe('127.0.0.1');
    // By keyboard: the key picker opens with ArrowDown, Enter takes the demo's key, Enter in a field submits.
    const key = page.getByRole('combobox', { name: 'Key (optional)' });
    await key.focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('option').first().waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => key.inputValue()).toMatch(/ipg_live/);
    await address.focus();
    await page.keyboard.press('Enter');
    const result = page.getByTestId('check-result');
    await expect.poll(() => result.textContent()).toContain('Allowed (200)');
    // The demo list's entry for 127.0.0.1 is the rule that let it through.
    expect(await result.getByRole('row').filter({ hasText: '127.0.0.1' }).count()).toBe(1);
    expect(await result.textContent()).toContain('API IP Restriction');

    // Live validation by core before anything is sent.
    await address.fill('127.0.0.300');
    await expect.poll(() => page.getByText(/127\.0\.0\.300/).count()).toBeGreaterThan(0);
    await address.fill('127.0.0.9');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => result.textContent()).toContain('Denied (403)');
    expect(await result.textContent()).toContain('Denied by the tenant’s API IP Restriction');
    // What the gateway really does agrees.
    expect((await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.9')).status).toBe(403);
    await screenshotAndAxe(page, 'check');
  });
});
