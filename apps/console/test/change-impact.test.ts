/**
 * The impact of disabling or narrowing one entry of API IP Restriction, in Chromium against a real
 * `ipgate serve --demo`: real requests through the gateway from 127.0.0.x are recorded, and the
 * console replays them with the API's dry run before the change is saved. Disabling and narrowing
 * show "would have denied N requests from M addresses" with the addresses; widening and a change that
 * denies no one save directly; Cancel writes nothing, Confirm saves.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callGateway, consoleTestsSkip, screenshotAndAxe } from './console.test-support.js';
import { type DemoConsole, startDemoConsole } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

interface Entry {
  id: string;
  name: string;
  value: string;
  enabled: boolean;
}

describe.skipIf(skip !== undefined)(
  'the impact of disabling or narrowing an entry',
  { timeout: 90_000 },
  () => {
    let demo: DemoConsole;
    let page: Page;
    let labId: string;
    const entries = () => `/v1/tenants/${demo.tenantId}/ip-restriction/entries`;

    /** A management API call with the banner's owner token. */
    async function admin(method: string, path: string, body?: unknown): Promise<Response> {
      return fetch(`${demo.serve.adminUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${demo.serve.ownerToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    }

    async function entry(id: string): Promise<Entry> {
      const r = await admin('GET', `${entries()}/${id}`);
      expect(r.status).toBe(200);
      return (await r.json()) as Entry;
    }

    /** Calls the gateway from `from`, `times` times, expecting `status` each time. */
    async function calls(from: string, times: number, status: number): Promise<void> {
      for (let i = 0; i < times; i++) {
        expect((await callGateway(demo.serve.gatewayUrl, '/hello', demo.keySecret, from)).status).toBe(
          status,
        );
      }
    }

    /** Waits until the request log holds `count` requests (it is written about a second after the answer). */
    async function recorded(count: number): Promise<void> {
      const end = Date.now() + 15_000;
      for (;;) {
        const r = await admin('GET', `/v1/tenants/${demo.tenantId}/requests?limit=500`);
        const seen = ((await r.json()) as { items: unknown[] }).items.length;
        if (seen === count) return;
        if (seen > count || Date.now() > end) throw new Error(`${seen} requests recorded, not ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    const row = (text: string) => page.getByRole('row').filter({ hasText: text });

    /** Flips an entry's switch by keyboard (its thumb takes the pointer's clicks). */
    async function flip(name: string): Promise<void> {
      await page.getByRole('switch', { name: `${name} enabled` }).focus();
      await page.keyboard.press('Space');
    }

    beforeAll(async () => {
      demo = await startDemoConsole();
      // "lab" lets 127.0.0.16–127.0.0.31 in; five calls from two of its addresses are recorded.
      const lab = await admin('POST', entries(), { value: '127.0.0.16/28', name: 'lab' });
      expect(lab.status).toBe(201);
      labId = ((await lab.json()) as Entry).id;
      await calls('127.0.0.20', 3, 200);
      await calls('127.0.0.30', 2, 200);
      await recorded(5);
      page = await demo.signIn('owner', demo.ownerPassword);
      await row('127.0.0.16/28').waitFor();
    }, 120_000);

    afterAll(async () => {
      await demo?.stop();
    }, 60_000);

    it('disabling shows what it would have denied; Cancel changes nothing', async () => {
      const labSwitch = page.getByRole('switch', { name: 'lab enabled' });
      await flip('lab');
      const dialog = page.getByRole('dialog', { name: 'Disable this entry?' });
      const note = dialog.getByTestId('change-impact');
      await note.waitFor();
      const text = await note.textContent();
      expect(text).toContain('would have denied 5 requests from 2 addresses in the last 24 hours');
      expect(text).toContain('127.0.0.20: 3, 127.0.0.30: 2');
      await screenshotAndAxe(page, 'disable-impact');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      expect((await entry(labId)).enabled).toBe(true);
      expect(await labSwitch.isChecked()).toBe(true);
    });

    it('narrowing shows what it would have denied; Cancel keeps the form, Confirm saves', async () => {
      await page.getByRole('button', { name: 'Edit lab' }).click();
      const form = page.getByRole('dialog', { name: 'IP List Configuration' });
      await form.getByLabel('IP Address or Range').fill('127.0.0.16/29');
      await form.getByRole('button', { name: 'Save' }).click();
      const dialog = page.getByRole('dialog', { name: 'Narrow this entry?' });
      const note = dialog.getByTestId('change-impact');
      await note.waitFor();
      // 127.0.0.16/29 still covers 127.0.0.20; 127.0.0.30 is left out.
      expect(await note.textContent()).toContain(
        'would have denied 2 requests from 1 address in the last 24 hours (127.0.0.30: 2)',
      );
      expect(await dialog.textContent()).toContain('will cover 127.0.0.16/29 instead of 127.0.0.16/28');
      await screenshotAndAxe(page, 'narrow-impact');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      // Nothing was written; the form is still open with what was typed.
      expect((await entry(labId)).value).toBe('127.0.0.16/28');
      expect(await form.getByLabel('IP Address or Range').inputValue()).toBe('127.0.0.16/29');

      await form.getByRole('button', { name: 'Save' }).click();
      await dialog.getByTestId('change-impact').waitFor();
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await form.waitFor({ state: 'hidden' });
      expect((await entry(labId)).value).toBe('127.0.0.16/29');
      await row('127.0.0.16/29').waitFor();
      await calls('127.0.0.30', 1, 403);
      await calls('127.0.0.20', 1, 200);
    });

    it('widening saves at once, without an impact to confirm', async () => {
      await page.getByRole('button', { name: 'Edit lab' }).click();
      const form = page.getByRole('dialog', { name: 'IP List Configuration' });
      await form.getByLabel('IP Address or Range').fill('127.0.0.0/26');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.waitFor({ state: 'hidden' });
      expect(await page.getByRole('dialog').count()).toBe(0);
      expect((await entry(labId)).value).toBe('127.0.0.0/26');
      await page.getByRole('status').filter({ hasText: 'Saved lab.' }).waitFor();
      await calls('127.0.0.30', 1, 200);
    });

    it('disabling an entry no request used saves at once and says it would have denied none', async () => {
      const unused = await admin('POST', entries(), { value: '192.0.2.0/24', name: 'unused' });
      expect(unused.status).toBe(201);
      const unusedId = ((await unused.json()) as Entry).id;
      await page.reload();
      await flip('unused');
      await page
        .getByRole('status')
        .filter({
          hasText: 'Disabled unused. It would have denied none of the requests allowed in the last 24 hours.',
        })
        .waitFor();
      expect(await page.getByRole('dialog').count()).toBe(0);
      expect((await entry(unusedId)).enabled).toBe(false);
    });

    it('Confirm disables the entry; the gateway denies its addresses on the next request', async () => {
      // All of 127.0.0.20's and 127.0.0.30's calls so far are allowed by lab as it is now.
      await recorded(8);
      await flip('lab');
      const dialog = page.getByRole('dialog', { name: 'Disable this entry?' });
      const note = dialog.getByTestId('change-impact');
      await note.waitFor();
      expect(await note.textContent()).toContain('would have denied 8 requests from 2 addresses');
      await dialog.getByRole('button', { name: 'Disable' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('status').filter({ hasText: 'Disabled lab.' }).waitFor();
      expect((await entry(labId)).enabled).toBe(false);
      expect(await page.getByRole('switch', { name: 'lab enabled' }).isChecked()).toBe(false);
      await calls('127.0.0.20', 1, 403);
    });
  },
);
