/**
 * APIs → Security → IP Whitelist in Chromium against a real `ipgate serve --demo`: an empty whitelist
 * lets every source in and says so; the first entry that leaves out the console's own address asks
 * first; what is added or removed decides the very next request through the gateway; keyboard reach, a
 * viewer's read-only page and axe.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callGateway, consoleTestsSkip, screenshotAndAxe } from './console.test-support.js';
import { type DemoConsole, startDemoConsole, tabTo } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

describe.skipIf(skip !== undefined)('APIs: IP Whitelist in Chromium', { timeout: 90_000 }, () => {
  let demo: DemoConsole;
  let page: Page;
  // 127.0.0.1 is on the demo tenant's list, so only the API's whitelist decides its calls here.
  const call = () => callGateway(demo.serve.gatewayUrl, '/hello', demo.keySecret, '127.0.0.1');

  beforeAll(async () => {
    demo = await startDemoConsole();
    page = await demo.signIn('owner', demo.ownerPassword);
  }, 120_000);

  afterAll(async () => {
    await demo?.stop();
  }, 60_000);

  async function addEntry(value: string, name: string): Promise<void> {
    const dialog = page.getByRole('dialog', { name: 'IP List Configuration' });
    await dialog.waitFor();
    // The address field has the focus when the dialog opens.
    await page.keyboard.type(value);
    await dialog.getByLabel('IP Name').fill(name);
    await dialog.getByRole('button', { name: 'Save' }).click();
  }

  it('shows an empty whitelist as open to every source, with the advice to add your own IP first', async () => {
    expect((await call()).status).toBe(200);
    await page.getByRole('link', { name: 'APIs' }).click();
    await page.getByRole('heading', { name: 'APIs', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Security → IP Whitelist: demo API' }).waitFor();
    const empty = page.getByTestId('whitelist-empty');
    await expect
      .poll(() => empty.textContent())
      .toContain('With no IPs configured, all source IPs are allowed.');
    expect(await empty.textContent()).toContain('Add your own IP first (127.0.0.1');
    await screenshotAndAxe(page, 'apis');
  });

  it('asks before a first entry that leaves out your own IP; then the gateway denies it on the next request', async () => {
    await page.getByRole('link', { name: 'APIs' }).focus();
    await tabTo(page, page.getByRole('button', { name: 'Add IP' }));
    await page.keyboard.press('Enter');
    await addEntry('127.0.0.30', 'partner');
    const lockout = page.getByRole('dialog', { name: 'This would lock you out' });
    await lockout.waitFor();
    expect(await lockout.textContent()).toContain('127.0.0.1');
    await screenshotAndAxe(page, 'apis-lockout');
    await lockout.getByRole('button', { name: 'Save anyway' }).click();
    await page.getByRole('row').filter({ hasText: '127.0.0.30' }).waitFor();
    expect((await call()).status).toBe(403);
    await expect
      .poll(() => page.getByTestId('whitelist-own').textContent())
      .toContain('Your IP is not on this whitelist');
  });

  it('adding your own IP lets its next request through; deleting both opens the API again', async () => {
    await page.getByRole('button', { name: 'Add IP' }).click();
    await addEntry('127.0.0.1', 'console host');
    await page.getByRole('row').filter({ hasText: 'console host' }).waitFor();
    expect((await call()).status).toBe(200);
    await page.getByTestId('whitelist-own').waitFor({ state: 'detached' });
    await screenshotAndAxe(page, 'apis-whitelist');

    await page.getByRole('button', { name: 'Delete partner' }).click();
    await page
      .getByRole('dialog', { name: 'Delete this entry?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByRole('row').filter({ hasText: '127.0.0.30' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Delete console host' }).click();
    await page
      .getByRole('dialog', { name: 'Delete this entry?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByTestId('whitelist-empty').waitFor();
    expect((await call()).status).toBe(200);
  });

  it('a viewer reads the whitelist and is told editing needs write access; no edit control', async () => {
    await page.getByRole('button', { name: 'Add IP' }).click();
    await addEntry('127.0.0.1', 'loopback');
    await page.getByRole('row').filter({ hasText: 'loopback' }).waitFor();
    const password = await demo.addUser('vera', 'viewer');
    const viewer = await demo.signIn('vera', password, '/apis');
    await viewer.getByRole('row').filter({ hasText: 'loopback' }).waitFor();
    expect(await viewer.textContent('main')).toContain('changing it needs write access');
    expect(await viewer.getByRole('button', { name: 'Add IP' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^(Edit|Delete) / }).count()).toBe(0);
    expect(await viewer.getByRole('switch').count()).toBe(0);
    await screenshotAndAxe(viewer, 'apis-viewer');
    await viewer.context().close();
  });
});
