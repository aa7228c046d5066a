/**
 * Paging in Chromium against a real `ipgate serve --demo`: a cursor belongs to the list it came from.
 * On page 2 of a tenant's keys, switching tenant shows the first page of the other tenant's keys; on
 * page 2 of the audit log, another filter shows the first page of what it matches. The browser's own
 * requests are watched: none after the switch carries a cursor of the list before.
 */
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleTestsSkip } from './console.test-support.js';
import { type DemoConsole, startDemoConsole } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

/** More than one page of the console's lists (50 a page). */
const SEEDED = 55;

describe.skipIf(skip !== undefined)('paging in Chromium', { timeout: 120_000 }, () => {
  let demo: DemoConsole;
  let page: Page;
  let second: string;
  /** Every request the page sent to the management API, in order. */
  const sent: URL[] = [];

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

  async function addKeys(tenantId: string, prefix: string): Promise<void> {
    for (let i = 0; i < SEEDED; i++) {
      const res = await admin('POST', `/v1/tenants/${tenantId}/keys`, {
        name: `${prefix} ${String(i).padStart(2, '0')}`,
        ipRestrictionEnabled: false,
        domainRestrictionEnabled: false,
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  }

  beforeAll(async () => {
    demo = await startDemoConsole();
    const created = await admin('POST', '/v1/tenants', { name: 'Second Co', ipMode: 'off' });
    expect(created.status).toBe(201);
    second = ((await created.json()) as { id: string }).id;
    await addKeys(demo.tenantId, 'demo co key');
    await addKeys(second, 'second co key');
    page = await demo.signIn('owner', demo.ownerPassword);
    page.context().setDefaultTimeout(30_000);
    page.on('request', (r: Request) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/v1/')) sent.push(url);
    });
  }, 180_000);

  afterAll(async () => {
    await demo?.stop();
  }, 60_000);

  const pagerPage = () => page.getByTestId('pager-page').textContent();

  /** The requests sent since `from` to a path ending in `route`. */
  const since = (from: number, route: string) => sent.slice(from).filter((u) => u.pathname.endsWith(route));

  it('switching tenant on page 2 of the keys shows the other tenant’s first page, with no stale cursor', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page
      .getByRole('button', { name: /^Token security of demo co key/ })
      .first()
      .waitFor();
    const before = sent.length;
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(pagerPage).toBe('Page 2');
    // Page 2 was read with the cursor page 1 gave.
    const cursorOf = since(before, `/tenants/${demo.tenantId}/keys`).find((u) =>
      u.searchParams.has('cursor'),
    );
    expect(cursorOf).toBeDefined();

    const switched = sent.length;
    const switcher = page.getByRole('combobox', { name: 'Tenant' });
    await switcher.fill('Second');
    await page.getByRole('option', { name: 'Second Co' }).click();
    await expect.poll(() => page.url()).toBe(demo.url(`/t/${second}/keys`));
    const first = page.getByRole('button', { name: /^Token security of second co key/ });
    await first.first().waitFor();
    await expect.poll(pagerPage).toBe('Page 1');
    expect(await page.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: /^Token security of demo co key/ }).count()).toBe(0);
    expect(await first.count()).toBe(50);

    const read = since(switched, `/tenants/${second}/keys`);
    expect(read.length).toBeGreaterThan(0);
    expect(sent.slice(switched).filter((u) => u.searchParams.has('cursor'))).toEqual([]);
    expect(since(switched, `/tenants/${demo.tenantId}/keys`)).toEqual([]);
  });

  it('another filter on page 2 of the audit log shows its first page, with no stale cursor', async () => {
    // Read the newest key creation the way the page will, to know what its first row must be.
    const all = (await (await admin('GET', `/v1/tenants/${second}/audit-events?limit=1`)).json()) as {
      items: { id: string; action: string }[];
    };
    const action = all.items[0]?.action as string;
    expect(action).toMatch(/key/);

    await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Audit events' });
    await table.getByRole('row').nth(1).waitFor();
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(pagerPage).toBe('Page 2');
    expect(sent.some((u) => u.pathname.endsWith('/audit-events') && u.searchParams.has('cursor'))).toBe(true);

    // A filter nobody matches on page 2 would be empty; this one matches more than a page.
    const filtered = sent.length;
    await page.getByLabel('Action').fill(action);
    await page.keyboard.press('Enter');
    await expect.poll(pagerPage).toBe('Page 1');
    const newest = (await (
      await admin('GET', `/v1/tenants/${second}/audit-events?limit=1&action=${encodeURIComponent(action)}`)
    ).json()) as { items: { id: string }[] };
    await table.locator(`[data-audit-id="${newest.items[0]?.id}"]`).waitFor();
    const rows = await table.getByRole('row').allTextContents();
    expect(rows.length).toBe(51);
    expect(rows.slice(1).every((t) => t.includes(action))).toBe(true);
    expect(await page.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(false);

    const read = since(filtered, '/audit-events');
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((u) => u.searchParams.get('action') === action)).toBe(true);
    expect(sent.slice(filtered).filter((u) => u.searchParams.has('cursor'))).toEqual([]);

    // And Older still pages the filtered list from there.
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(pagerPage).toBe('Page 2');
    await expect.poll(() => table.getByRole('row').count()).toBeLessThan(51);
  });
});
