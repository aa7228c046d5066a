/**
 * The console's reading and owner pages end to end: Check an address, REST API logs, Audit log, Users
 * and tokens and the tenant switcher, in Debian's Chromium against a real `ipgate serve --demo` on
 * SQLite, with real requests through the gateway from 127.0.0.x source addresses.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/src/cli.test-support.js';
import type { ServeRun } from '../../cli/src/serve.test-support.js';
import { callGateway, consoleTestsSkip, screenshotAndAxe } from './console.test-support.js';
import { type DemoConsole, signInOn, startDemoConsole } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

/** A page test's time: Chromium on a busy two-core machine is slow, never stuck. */
const SLOW = 90_000;

describe.skipIf(skip !== undefined)('the console’s check, log, audit and owner pages in Chromium', () => {
  let demo: DemoConsole;
  let dir: string;
  let serve: ServeRun;
  let browser: Browser;
  let owner: BrowserContext;
  let page: Page;
  let password: string;
  let tenantId: string;
  let keySecret: string;
  const consoleUrl = () => `${serve.adminUrl}/console/`;

  /** A management API call with the banner's owner token. */
  async function admin(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${serve.adminUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${serve.ownerToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  beforeAll(async () => {
    demo = await startDemoConsole();
    ({ serve, browser, dir, tenantId, keySecret, ownerPassword: password } = demo);
    owner = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // A locator that never appears fails with its name well before the test's own timeout.
    owner.setDefaultTimeout(20_000);
    page = await owner.newPage();
    await signIn(page, 'owner', password);
  }, 120_000);

  afterAll(async () => {
    await demo?.stop();
  }, 60_000);

  const signIn = (p: Page, name: string, secret: string) => signInOn(p, consoleUrl(), name, secret);

  async function open(p: Page, label: string, heading = label): Promise<void> {
    await p.getByRole('navigation').getByRole('link', { name: label }).click();
    await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
  }

  it(
    'Check an address: the decision and the rule that decided, for an address and a key',
    async () => {
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
    },
    SLOW,
  );

  it(
    'REST API logs: a 403’s request id opens its detail; filters narrow the log on the server',
    async () => {
      const denied = await callGateway(serve.gatewayUrl, '/hello?from=console-test', keySecret, '127.0.0.9');
      expect(denied.status).toBe(403);
      const requestId = (JSON.parse(denied.body) as { requestId: string }).requestId;
      expect((await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.1')).status).toBe(200);
      // The log is written about a second after the answer.
      await expect
        .poll(async () => (await admin('GET', `/v1/tenants/${tenantId}/requests/${requestId}`)).status, {
          timeout: 10_000,
        })
        .toBe(200);

      await open(page, 'REST API logs');
      const table = page.getByRole('table', { name: 'Requests' });
      await table.getByRole('row').filter({ hasText: '127.0.0.9' }).first().waitFor();
      await screenshotAndAxe(page, 'requests');

      // The id from the 403 body, typed in and opened with Enter.
      await page.getByLabel('Request id').fill(requestId);
      await page.keyboard.press('Enter');
      const detail = page.getByRole('dialog', { name: 'Request' });
      await detail.getByTestId('request-detail').waitFor();
      const text = await detail.textContent();
      expect(text).toContain(requestId);
      expect(text).toContain('127.0.0.9');
      expect(text).toContain('Denied');
      expect(text).toContain('403');
      expect(text).toContain('tenant-ip-not-listed');
      expect(page.url()).toBe(`${consoleUrl()}t/${tenantId}/requests/${requestId}`);
      await screenshotAndAxe(page, 'request-detail');
      await page.keyboard.press('Escape');
      await detail.waitFor({ state: 'hidden' });
      expect(page.url()).toBe(`${consoleUrl()}t/${tenantId}/requests`);

      // Filters go to the server: only denials, then only 127.0.0.1 (none of those was denied).
      await page.getByRole('combobox', { name: 'Decision' }).click();
      await page.getByRole('option', { name: 'Denied' }).click();
      await page.getByRole('button', { name: 'Apply filters' }).click();
      // Both at once: while the filtered page loads there is no table, so no "Allowed" row either.
      await expect
        .poll(async () => [
          await table.getByRole('row').filter({ hasText: 'Allowed' }).count(),
          await table.locator(`[data-request-id="${requestId}"]`).count(),
        ])
        .toEqual([0, 1]);
      await page.getByLabel('Client address').fill('127.0.0.1');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('No request matches these filters.').waitFor();
      // A client filter that is not an address is refused next to its field, by core's explanation.
      await page.getByLabel('Client address').fill('127.0.0.300');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(() => page.getByLabel('Client address').getAttribute('aria-invalid')).toBe('true');
      await page.getByRole('button', { name: 'Clear' }).click();
      await table.locator(`[data-request-id="${requestId}"]`).waitFor();

      // A request id that is not in the log says so.
      await page.goto(`${consoleUrl()}t/${tenantId}/requests/req_missing`);
      const missing = page.getByRole('dialog', { name: 'Request' });
      await missing.getByText('No such request').waitFor();
      await page.keyboard.press('Escape');
      await missing.waitFor({ state: 'hidden' });
    },
    SLOW,
  );

  it(
    'Audit log: changes with their actor’s name; filters by action and actor on the server',
    async () => {
      // A change made through the API with the banner's token, and one made in the console by the owner.
      const added = await admin('POST', `/v1/tenants/${tenantId}/ip-restriction/entries`, {
        value: '127.0.0.40',
        name: 'audited by token',
      });
      expect(added.status).toBe(201);
      await open(page, 'Audit log');
      const table = page.getByRole('table', { name: 'Audit events' });
      const row = table.getByRole('row').filter({ hasText: 'tenant.ip_entry.added' }).first();
      await row.waitFor();
      // The actor by its name now, with its stable id beside it.
      expect(await row.textContent()).toMatch(/owner \(made at first start\)token:prn_/);
      await screenshotAndAxe(page, 'audit');

      await row.getByRole('button', { name: 'Details' }).click();
      const dialog = page.getByRole('dialog', { name: /tenant\.ip_entry\.added by/ });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('127.0.0.40');
      await screenshotAndAxe(page, 'audit-change');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });

      // One click on an action narrows the log to it, on the server.
      await row.getByRole('button', { name: 'Only tenant.ip_entry.added' }).click();
      await expect.poll(() => page.getByLabel('Action').inputValue()).toBe('tenant.ip_entry.added');
      await expect
        .poll(async () => {
          const texts = await table.getByRole('row').allTextContents();
          return texts.slice(1).every((t) => t.includes('tenant.ip_entry.added'));
        })
        .toBe(true);
      // An action nobody took: nothing.
      await page.getByLabel('Action').fill('tenant.nothing_like_this');
      await page.keyboard.press('Enter');
      await page.getByText('No change matches these filters.').waitFor();
      await page.getByRole('button', { name: 'Clear' }).click();
      await table.waitFor();
    },
    SLOW,
  );

  it(
    'Users and tokens: an owner makes a token (secret shown once), revokes it, and removes a user',
    async () => {
      const made = await runCli(
        ['users', 'add', 'vera', '--role', 'viewer', '--password-stdin', '--data-dir', dir],
        'viewer password long\n',
      );
      expect(made.code, made.stderr).toBe(0);
      const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      viewerContext.setDefaultTimeout(20_000);
      const viewer = await viewerContext.newPage();
      await signIn(viewer, 'vera', 'viewer password long');
      // Not an owner: no link, and the page itself says so (the API refuses anyway).
      expect(await viewer.getByRole('link', { name: 'Users and tokens' }).count()).toBe(0);
      await viewer.goto(`${consoleUrl()}users`);
      await viewer.getByText('Only owners manage users and tokens.').waitFor();

      await open(page, 'Users and tokens');
      const table = page.getByRole('table', { name: 'Users and tokens' });
      await table.getByRole('row').filter({ hasText: 'vera' }).waitFor();
      await page.getByRole('button', { name: 'Create token' }).click();
      const form = page.getByRole('dialog', { name: 'Create an admin token' });
      await form.getByLabel(/^Name/).fill('ci-deploy');
      await form.getByText('Editor', { exact: true }).click();
      await screenshotAndAxe(page, 'create-token');
      await form.getByRole('button', { name: 'Create token' }).click();
      const shown = page.getByRole('dialog', { name: 'Copy the token now' });
      const secret = (await shown.getByTestId('token-secret').textContent())?.trim() as string;
      expect(secret.length).toBeGreaterThan(20);
      await screenshotAndAxe(page, 'token-secret');
      await shown.getByRole('button', { name: 'Done' }).click();
      await shown.waitFor({ state: 'hidden' });
      // Shown once: the list has the token, never its secret.
      const tokenRow = table.getByRole('row').filter({ hasText: 'ci-deploy' });
      await tokenRow.waitFor();
      expect(await tokenRow.textContent()).toContain('editor');
      expect(await page.content()).not.toContain(secret);
      const tenants = () =>
        fetch(`${serve.adminUrl}/v1/tenants`, { headers: { authorization: `Bearer ${secret}` } }).then(
          (r) => r.status,
        );
      expect(await tenants()).toBe(200);
      await screenshotAndAxe(page, 'users');

      await tokenRow.getByRole('button', { name: 'Revoke ci-deploy' }).click();
      const confirm = page.getByRole('dialog', { name: 'Revoke this token?' });
      await confirm.getByRole('button', { name: 'Revoke' }).click();
      await tokenRow.waitFor({ state: 'detached' });
      expect(await tenants()).toBe(401);

      // Removing a console user ends its session at once.
      await table.getByRole('button', { name: 'Remove vera' }).click();
      await page
        .getByRole('dialog', { name: 'Remove this console user?' })
        .getByRole('button', { name: 'Remove' })
        .click();
      await table.getByRole('row').filter({ hasText: 'vera' }).waitFor({ state: 'detached' });
      const after = await viewer.evaluate(async () => (await fetch('/v1/session')).status);
      expect(after).toBe(401);
      // The owner's own row has no remove button: signing oneself out this way is not offered.
      expect(await table.getByRole('row').filter({ hasText: 'you' }).getByRole('button').count()).toBe(0);
      await viewerContext.close();
    },
    SLOW,
  );

  it(
    'a concurrent edit (ETag) says the entry changed meanwhile; Reload brings the new version to edit',
    async () => {
      const res = await admin('POST', `/v1/tenants/${tenantId}/ip-restriction/entries`, {
        value: '127.0.0.50',
        name: 'etag entry',
      });
      const entry = (await res.json()) as { id: string; version: number };
      await open(page, 'API IP Restriction');
      await page.getByRole('button', { name: 'Edit etag entry' }).click();
      const dialog = page.getByRole('dialog', { name: 'IP List Configuration' });
      await dialog.getByLabel('IP Name').fill('my rename');
      // Someone else renames it first, with the version both read.
      const theirs = await fetch(
        `${serve.adminUrl}/v1/tenants/${tenantId}/ip-restriction/entries/${entry.id}`,
        {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${serve.ownerToken}`,
            'content-type': 'application/json',
            'if-match': `W/"${entry.version}"`,
          },
          body: JSON.stringify({ name: 'their rename' }),
        },
      );
      expect(theirs.status).toBe(200);
      await dialog.getByRole('button', { name: 'Save' }).click();
      const conflict = dialog.getByRole('alert').filter({ hasText: 'Changed meanwhile' });
      await conflict.waitFor();
      await screenshotAndAxe(page, 'etag-conflict');
      // Nothing of mine was written over theirs.
      const stored = (await (
        await admin('GET', `/v1/tenants/${tenantId}/ip-restriction/entries/${entry.id}`)
      ).json()) as { name: string };
      expect(stored.name).toBe('their rename');
      await dialog.getByRole('button', { name: 'Reload the entry' }).click();
      await expect.poll(() => dialog.getByLabel('IP Name').inputValue()).toBe('their rename');
      expect(await conflict.count()).toBe(0);
      await dialog.getByLabel('IP Name').fill('my rename after reload');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: 'Edit my rename after reload' }).waitFor();
    },
    SLOW,
  );

  it(
    'bulk paste: the preview marks the bad line and why; the import is enforced; export gives it back as CSV',
    async () => {
      await open(page, 'API IP Restriction');
      await page.getByRole('button', { name: 'Bulk paste' }).click();
      const dialog = page.getByRole('dialog', { name: 'Bulk paste' });
      const text = dialog.getByLabel('Entries, one per line');
      await text.fill('127.0.0.60 bulk one\n10.0.0.1/8 bad range\n127.0.0.61 bulk two\n');
      await dialog.getByRole('button', { name: 'Preview' }).click();
      const bad = dialog.locator('[data-line="2"]');
      await bad.waitFor();
      expect(await bad.getAttribute('data-action')).toBe('invalid');
      expect(await bad.textContent()).toMatch(/host bits/i);
      expect(await dialog.locator('[data-action="add"]').count()).toBe(2);
      expect(await dialog.getByRole('button', { name: 'Import' }).isDisabled()).toBe(true);
      await screenshotAndAxe(page, 'bulk-paste-preview');

      await text.fill('127.0.0.60 bulk one\n192.168.10.0/24 lab\n127.0.0.61 bulk two\n');
      await dialog.getByRole('button', { name: 'Preview' }).click();
      await expect.poll(() => dialog.locator('[data-action="add"]').count()).toBe(3);
      await dialog.getByRole('button', { name: 'Import' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByText('Imported: 3 added').waitFor();
      expect((await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.60')).status).toBe(200);

      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export CSV' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe(`ip-list-${tenantId}.csv`);
      const csv = readFileSync(await file.path(), 'utf8');
      expect(csv).toContain('127.0.0.60,bulk one');
      expect(csv).toContain('192.168.10.0/24,lab');

      // The impact before a change that removes entries: 127.0.0.60 was just allowed, and replacing the
      // list with the demo's own address would have denied it.
      const logged = async () =>
        (
          (await (await admin('GET', `/v1/tenants/${tenantId}/requests?client=127.0.0.60`)).json()) as {
            items: unknown[];
          }
        ).items.length;
      await expect.poll(logged, { timeout: 10_000 }).toBeGreaterThan(0);
      await page.getByRole('button', { name: 'Bulk paste' }).click();
      await text.fill('127.0.0.1 demo\n');
      await dialog.getByText('Replace the list').click();
      await dialog.getByRole('button', { name: 'Preview' }).click();
      const impact = dialog.getByTestId('import-impact');
      await impact.waitFor();
      expect(await impact.textContent()).toMatch(
        /would have denied [1-9]\d* requests? from [1-9]\d* address/,
      );
      expect(await impact.textContent()).toContain('127.0.0.60');
      expect(await dialog.textContent()).toMatch(/entries would be removed/);
      await screenshotAndAxe(page, 'bulk-paste-impact');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      // The same impact before deleting one entry: the trash icon's confirmation replays the day.
      await page.getByRole('button', { name: 'Delete bulk one' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete this entry?' });
      const note = confirm.getByTestId('change-impact');
      await note.waitFor();
      expect(await note.textContent()).toMatch(/would have denied [1-9]\d* requests? from 1 address/);
      expect(await note.textContent()).toContain('127.0.0.60');
      await screenshotAndAxe(page, 'delete-impact');
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'hidden' });
      expect((await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.60')).status).toBe(200);
    },
    SLOW,
  );

  it(
    'the tenant switcher moves a user of all tenants between tenants; a tenant’s user has only its own',
    async () => {
      const created = await admin('POST', '/v1/tenants', { name: 'Second Co', ipMode: 'off' });
      expect(created.status).toBe(201);
      const second = ((await created.json()) as { id: string }).id;
      await page.reload();
      await open(page, 'Check an address');
      const switcher = page.getByRole('combobox', { name: 'Tenant' });
      expect(await switcher.inputValue()).toBe('Demo Co');
      // Typing in the switcher searches the tenants.
      await switcher.focus();
      await switcher.fill('Second');
      await page.getByRole('option', { name: 'Second Co' }).click();
      // The same page, of the other tenant.
      await expect.poll(() => page.url()).toBe(`${consoleUrl()}t/${second}/check`);
      await page.getByRole('heading', { name: 'Check an address', level: 1 }).waitFor();
      await expect.poll(() => switcher.inputValue()).toBe('Second Co');

      const made = await runCli(
        [
          'users',
          'add',
          'tina',
          '--role',
          'editor',
          '--tenant',
          second,
          '--password-stdin',
          '--data-dir',
          dir,
        ],
        'tenant user password\n',
      );
      expect(made.code, made.stderr).toBe(0);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      context.setDefaultTimeout(20_000);
      const tenantPage = await context.newPage();
      await signIn(tenantPage, 'tina', 'tenant user password');
      expect(tenantPage.url()).toBe(`${consoleUrl()}t/${second}/ip-restriction`);
      const own = tenantPage.getByRole('combobox', { name: 'Tenant' });
      await expect.poll(() => own.inputValue()).toBe('Second Co');
      expect(await own.isDisabled()).toBe(true);
      expect(await tenantPage.getByRole('link', { name: 'APIs' }).count()).toBe(0);
      // Another tenant's page, typed in: the API answers it as missing.
      await tenantPage.goto(`${consoleUrl()}t/${tenantId}/requests`);
      await tenantPage
        .getByRole('alert')
        .filter({ hasText: /No tenant|not found/i })
        .waitFor();
      await context.close();
    },
    SLOW,
  );
});
