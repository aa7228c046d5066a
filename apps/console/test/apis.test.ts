/**
 * APIs → Security → IP Whitelist in Chromium against a real `ipgate serve --demo`: an empty whitelist
 * lets every source in and says so; the first entry locks the API down, so it shows what it would have
 * denied of the recorded traffic first, as does removing an address; the first entry that leaves out
 * the console's own address asks first; what is added or removed decides the very next request through
 * the gateway; keyboard reach, a viewer's read-only page and axe.
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

  /** A management API call with the banner's owner token; its JSON answer. */
  async function admin<T>(path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${demo.serve.adminUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${demo.serve.ownerToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(r.status).toBe(200);
    return (await r.json()) as T;
  }

  const apiPath = async () =>
    `/v1/apis/${(await admin<{ items: { id: string }[] }>('/v1/apis')).items[0]?.id}`;

  /** The whitelist's values, as the API has them. */
  const whitelist = async () =>
    (await admin<{ items: { value: string }[] }>(`${await apiPath()}/allowlist/entries`)).items.map(
      (e) => e.value,
    );

  /**
   * Waits until `count` requests to the API are recorded (about a second after the answer). Calls the
   * whitelist denied carry no key, so no tenant's log lists them: the API's simulation counts them all.
   */
  const recorded = async (count: number) => {
    const simulate = `${await apiPath()}/allowlist/simulate`;
    await expect
      .poll(
        async () =>
          (await admin<{ requests: { examined: number } }>(simulate, { draft: { replace: [] } })).requests
            .examined,
        { timeout: 15_000 },
      )
      .toBe(count);
  };

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

  it('shows what a first entry would have denied, then asks as it leaves out your own IP; the gateway denies it next', async () => {
    // The call of the first test, from 127.0.0.1, is what locking the API down would have denied.
    await recorded(1);
    await page.getByRole('link', { name: 'APIs' }).focus();
    await tabTo(page, page.getByRole('button', { name: 'Add IP' }));
    await page.keyboard.press('Enter');
    await addEntry('127.0.0.30', 'partner');
    const impact = page.getByRole('dialog', { name: 'Let only this entry in?' });
    const note = impact.getByTestId('change-impact');
    await note.waitFor();
    expect(await note.textContent()).toContain(
      'would have denied 1 request from 1 address in the last 24 hours (127.0.0.1: 1)',
    );
    await screenshotAndAxe(page, 'apis-first-entry-impact');
    // Cancel: nothing is added, the form keeps what was typed.
    await impact.getByRole('button', { name: 'Cancel' }).click();
    await impact.waitFor({ state: 'hidden' });
    expect(await whitelist()).toEqual([]);
    const form = page.getByRole('dialog', { name: 'IP List Configuration' });
    await form.getByRole('button', { name: 'Save' }).click();
    await impact.getByTestId('change-impact').waitFor();
    await impact.getByRole('button', { name: 'Add' }).click();
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

    // Removing your own IP while partner stays would deny 127.0.0.1's calls: the dialog says so first.
    await recorded(3);
    await page.getByRole('button', { name: 'Delete console host' }).click();
    const removing = page.getByRole('dialog', { name: 'Delete this entry?' });
    const note = removing.getByTestId('change-impact');
    await note.waitFor();
    expect(await note.textContent()).toContain(
      'would have denied 3 requests from 1 address in the last 24 hours (127.0.0.1: 3)',
    );
    await screenshotAndAxe(page, 'apis-remove-impact');
    await removing.getByRole('button', { name: 'Cancel' }).click();
    await removing.waitFor({ state: 'hidden' });
    expect((await whitelist()).sort()).toEqual(['127.0.0.1', '127.0.0.30']);

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
