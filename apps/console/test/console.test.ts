/**
 * The web console end to end: Debian's Chromium drives the console served by a real `ipgate serve
 * --demo` on SQLite, and real requests through the gateway from 127.0.0.x source addresses show that
 * what a person does on the page is enforced on the very next request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/src/cli.test-support.js';
import type { ServeRun } from '../../cli/src/serve.test-support.js';
import { callGateway, consoleTestsSkip, refusedCount, screenshotAndAxe } from './console.test-support.js';
import { type DemoConsole, signInOn, startDemoConsole } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

describe.skipIf(skip !== undefined)('the web console in Chromium', () => {
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

  beforeAll(async () => {
    demo = await startDemoConsole();
    ({ serve, browser, dir, tenantId, keySecret, ownerPassword: password } = demo);
    owner = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await owner.newPage();
  }, 120_000);

  afterAll(async () => {
    await demo?.stop();
  }, 60_000);

  const row = (p: Page, text: string) => p.getByRole('row').filter({ hasText: text });

  const signIn = (p: Page, name: string, secret: string) => signInOn(p, consoleUrl(), name, secret);

  it('serves the console with a strict CSP, long-cached hashed assets and index.html for its routes', async () => {
    const index = await fetch(consoleUrl());
    expect(index.status).toBe(200);
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const js = await fetch(new URL(asset, serve.adminUrl));
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const deep = await fetch(`${serve.adminUrl}/console/t/${tenantId}/keys`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    expect((await fetch(`${serve.adminUrl}/console/assets/gone-1234.js`)).status).toBe(404);
  });

  it('signs in (keyboard only) and opens the tenant’s API IP Restriction', async () => {
    await page.goto(consoleUrl());
    await page.getByRole('heading', { name: 'Sign in to ipgate' }).waitFor();
    await screenshotAndAxe(page, 'sign-in');
    // Keyboard: the name field has focus, Tab reaches the password, Enter submits.
    await page.getByLabel('User name').focus();
    await page.keyboard.type('owner');
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong password here');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('The name or the password is wrong.');
    await page.getByLabel(/^Password/).fill(password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'API IP Restriction' }).waitFor();
    expect(page.url()).toBe(`${consoleUrl()}t/${tenantId}/ip-restriction`);
    await expect.poll(() => page.getByTestId('entries-used').textContent()).toBe('1 of 100 used');
    await expect.poll(() => page.getByTestId('own-address').textContent()).toContain('127.0.0.1');
    await screenshotAndAxe(page, 'ip-restriction');
  });

  it('adds an address through the modal with live validation; the gateway admits it on the next request', async () => {
    expect((await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.5')).status).toBe(403);
    await page.getByRole('button', { name: 'Add' }).click();
    const dialog = page.getByRole('dialog', { name: 'IP List Configuration' });
    await dialog.waitFor();
    const value = dialog.getByLabel('IP Address or Range');
    // Live validation by @ipgate/core, before anything is sent.
    await value.fill('10.0.0.1/8');
    await expect.poll(() => dialog.textContent()).toContain('host bits');
    await dialog.getByText('Range', { exact: true }).click();
    await value.fill('192.168.0/16');
    await expect.poll(() => dialog.textContent()).toContain('Stored as 192.168.0.0/16');
    await dialog.getByText('IP', { exact: true }).click();
    await expect
      .poll(() => dialog.textContent())
      .toContain('is a range of addresses; choose IP Type "Range"');
    await value.fill('127.0.0.5');
    await dialog.getByLabel('IP Name').fill('laptop');
    await screenshotAndAxe(page, 'ip-list-configuration');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row(page, '127.0.0.5').waitFor();
    // The write answered once the node's snapshot held it: the very next request is admitted.
    const admitted = await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.5');
    expect(admitted.status).toBe(200);
    await expect.poll(() => page.getByTestId('entries-used').textContent()).toBe('2 of 100 used');
  });

  it('renames an entry by clicking its name', async () => {
    await page.getByRole('button', { name: 'Edit laptop' }).click();
    const dialog = page.getByRole('dialog', { name: 'IP List Configuration' });
    await dialog.getByLabel('IP Name').fill('laptop at home');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Edit laptop at home' }).waitFor();
  });

  it('warns before a change that would lock the console user out, and changes nothing on Cancel', async () => {
    const demoRow = row(page, '127.0.0.1').filter({ hasNotText: '127.0.0.5' });
    // By keyboard: the switch takes focus and Space flips it.
    await demoRow.getByRole('switch').focus();
    await page.keyboard.press('Space');
    const dialog = page.getByRole('dialog', { name: 'This would lock you out' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('You are using the console from 127.0.0.1');
    await screenshotAndAxe(page, 'lockout-warning');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await demoRow.getByRole('switch').isChecked()).toBe(true);
    expect((await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.1')).status).toBe(200);
  });

  it('deletes an entry with the trash icon after confirmation; the next request is denied with the 403 body', async () => {
    await page.getByRole('button', { name: 'Delete laptop at home' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this entry?' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row(page, '127.0.0.5').waitFor({ state: 'detached' });
    const denied = await callGateway(serve.gatewayUrl, '/hello', keySecret, '127.0.0.5');
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({
      error: "Access denied. You don't have permission to access this.",
      requestId: expect.any(String),
    });
  });

  it('refuses a change without the CSRF token, and a request from a page of another origin', async () => {
    const entries = `/v1/tenants/${tenantId}/ip-restriction/entries`;
    const noToken = await page.evaluate(async (url) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: '127.0.0.66' }),
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    }, entries);
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('IPG_CSRF_REJECTED');

    // Another origin on the same host (same site, so SameSite=Strict still sends the cookie).
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>elsewhere</title><p>elsewhere</p>');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const evilPage = await owner.newPage();
      await evilPage.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const target = `${serve.adminUrl}${entries}`;
      const refused = () => refusedCount(serve.adminUrl, '/v1/tenants/:tenantId/ip-restriction/entries');
      const before = await refused();
      // A read: the browser does not let the page see the answer, and the server refuses it anyway.
      const read = await evilPage.evaluate(async (url) => {
        try {
          const res = await fetch(url, { credentials: 'include' });
          return `read ${res.status}`;
        } catch {
          return 'blocked';
        }
      }, target);
      expect(read).toBe('blocked');
      // A write the page cannot read the answer of (no-cors, text/plain: no preflight): refused too.
      await evilPage.evaluate(async (url) => {
        await fetch(url, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ value: '127.0.0.66' }),
        });
      }, target);
      // The server's own count of 403 answers on that route: one for each.
      expect(await refused()).toBe(before + 2);
      await evilPage.close();
    } finally {
      evil.close();
    }
    const list = await fetch(`${serve.adminUrl}${entries}`, {
      headers: { authorization: `Bearer ${serve.ownerToken}` },
    });
    expect(JSON.stringify(await list.json())).not.toContain('127.0.0.66');
  });

  it('a viewer sees the list without any edit control, and the API refuses a change anyway', async () => {
    const added = await runCli(
      ['users', 'add', 'vera', '--role', 'viewer', '--password-stdin', '--data-dir', dir],
      'viewer password long\n',
    );
    expect(added.code, added.stderr).toBe(0);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const viewer = await context.newPage();
    await signIn(viewer, 'vera', 'viewer password long');
    await row(viewer, '127.0.0.1').waitFor();
    expect(await viewer.getByRole('button', { name: 'Add' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^Delete / }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^Edit / }).count()).toBe(0);
    expect(await viewer.getByRole('switch').count()).toBe(0);
    await screenshotAndAxe(viewer, 'ip-restriction-viewer');
    const refused = await viewer.evaluate(async (tenant) => {
      const session = (await (await fetch('/v1/session')).json()) as { csrfToken: string };
      const res = await fetch(`/v1/tenants/${tenant}/ip-restriction/entries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ value: '127.0.0.77' }),
      });
      return ((await res.json()) as { error: { code: string } }).error.code;
    }, tenantId);
    expect(refused).toBe('IPG_ROLE_FORBIDDEN');
    await context.close();
  });

  it('signing out ends the session: its cookie no longer opens anything', async () => {
    const cookie = (await owner.cookies()).find((c) => c.name === 'ipgate_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to ipgate' }).waitFor();
    const replay = await fetch(`${serve.adminUrl}/v1/tenants`, {
      headers: { cookie: `ipgate_session=${cookie?.value}` },
    });
    expect(replay.status).toBe(401);
  });
});
