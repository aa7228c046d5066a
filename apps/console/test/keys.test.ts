/**
 * API keys in Chromium against a real `ipgate serve --demo`: a browser key made on the page, with a
 * domain rule added under Token security, admits a request through the gateway with that Origin (from an
 * address not on the tenant's list) and denies others; rotate shows the new secret once and the old one
 * stops; revoke stops the key; keyboard reach, a viewer's read-only page and axe.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callGateway, consoleTestsSkip, screenshotAndAxe } from './console.test-support.js';
import { type DemoConsole, startDemoConsole, tabTo } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

describe.skipIf(skip !== undefined)('API keys in Chromium', { timeout: 90_000 }, () => {
  let demo: DemoConsole;
  let page: Page;
  let secret: string;
  const from = '127.0.0.20';
  const call = (key: string, origin?: string) =>
    callGateway(demo.serve.gatewayUrl, '/hello', key, from, origin === undefined ? {} : { origin });

  beforeAll(async () => {
    demo = await startDemoConsole();
    page = await demo.signIn('owner', demo.ownerPassword);
  }, 120_000);

  afterAll(async () => {
    await demo?.stop();
  }, 60_000);

  async function readSecret(title: string): Promise<string> {
    const dialog = page.getByRole('dialog', { name: title });
    await dialog.waitFor();
    const text = (await dialog.getByTestId('secret-once').textContent()) ?? '';
    expect(text).toMatch(/^ipg_live_/);
    return text;
  }

  it('creates a browser key by keyboard alone; its secret is shown once', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByRole('row').filter({ hasText: 'demo key' }).waitFor();
    await page.getByRole('link', { name: 'API keys' }).focus();
    await tabTo(page, page.getByRole('button', { name: 'Create key' }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create a key' });
    await dialog.waitFor();
    await page.keyboard.type('web app');
    await dialog.getByText('Browsers', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Create' }).click();
    secret = await readSecret('Secret of web app');
    await screenshotAndAxe(page, 'keys-secret');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    // The secret is gone from the page once the dialog closes.
    await page.getByTestId('secret-once').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('heading', { name: 'Token security: web app' }).waitFor();
  });

  it('a domain rule added under Token security admits a browser request with that Origin', async () => {
    const domains = page.getByTestId('key-domains');
    const input = domains.getByRole('textbox', { name: 'Domain' });
    // Checked as typed by @ipgate/core.
    await input.fill('https://app.example.com/login');
    await expect.poll(() => domains.textContent()).toContain('path');
    await input.fill('APP.example.com');
    await expect.poll(() => domains.textContent()).toContain('Stored as app.example.com');
    expect(await domains.getByTestId('key-domains-used').textContent()).toBe('0 of 5 used');
    // Before the rule: every browser request of a browser key is denied.
    expect((await call(secret, 'https://app.example.com')).status).toBe(403);
    await domains.getByRole('button', { name: 'Add domain' }).click();
    await expect.poll(() => domains.getByTestId('key-domains-used').textContent()).toBe('1 of 5 used');
    await screenshotAndAxe(page, 'keys');
    // 127.0.0.20 is not on the tenant's list: a browser key is judged by its domains instead.
    expect((await call(secret, 'https://app.example.com')).status).toBe(200);
    expect((await call(secret, 'https://evil.example.net')).status).toBe(403);
    // A server request (no Origin) with a browser key is denied.
    expect((await call(secret)).status).toBe(403);
  });

  it('holds a key to the tenant’s limit of domains; a rule is removed with its trash icon', async () => {
    const keys = await fetch(`${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/keys?limit=500`, {
      headers: { authorization: `Bearer ${demo.serve.ownerToken}` },
    });
    const { items } = (await keys.json()) as { items: { id: string; name: string }[] };
    const keyId = items.find((k) => k.name === 'web app')?.id as string;
    for (const value of ['b.example.com', 'c.example.com', 'd.example.com', 'e.example.com']) {
      const added = await fetch(
        `${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/keys/${keyId}/restrictions/domains`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${demo.serve.ownerToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ value }),
        },
      );
      expect(added.status).toBe(201);
    }
    await page.reload();
    await page.getByRole('button', { name: 'Token security of web app' }).click();
    const domains = page.getByTestId('key-domains');
    await expect.poll(() => domains.getByTestId('key-domains-used').textContent()).toBe('5 of 5 used');
    expect(await domains.getByRole('button', { name: 'Add domain' }).isDisabled()).toBe(true);
    expect(await domains.textContent()).toContain('The list is full (5)');
    await domains.getByRole('button', { name: 'Remove e.example.com' }).click();
    await expect.poll(() => domains.getByTestId('key-domains-used').textContent()).toBe('4 of 5 used');
    expect(await domains.getByRole('button', { name: 'Add domain' }).isDisabled()).toBe(false);
  });

  it('rotates the key: the new secret is shown once, the old one stops at once', async () => {
    await page.getByRole('button', { name: 'Rotate web app' }).click();
    await page
      .getByRole('dialog', { name: 'Rotate this key?' })
      .getByRole('button', { name: 'Rotate' })
      .click();
    const fresh = await readSecret('New secret of web app');
    expect(fresh).not.toBe(secret);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect((await call(secret, 'https://app.example.com')).status).not.toBe(200);
    expect((await call(fresh, 'https://app.example.com')).status).toBe(200);
    secret = fresh;
  });

  it('revokes the key after a confirmation: it no longer works', async () => {
    await page.getByRole('button', { name: 'Revoke web app' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke this key?' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Revoked web app');
    expect((await call(secret, 'https://app.example.com')).status).not.toBe(200);
    await expect
      .poll(() => page.getByRole('row').filter({ hasText: 'web app' }).textContent())
      .toContain('revoked');
    expect(await page.getByRole('button', { name: 'Rotate web app' }).count()).toBe(0);
  });

  it('a viewer sees the keys and their token security without any control that changes them', async () => {
    const password = await demo.addUser('vera', 'viewer');
    const viewer = await demo.signIn('vera', password, `/t/${demo.tenantId}/keys`);
    await viewer.getByRole('row').filter({ hasText: 'demo key' }).waitFor();
    await viewer.getByRole('button', { name: 'Token security of web app' }).click();
    await viewer.getByTestId('key-domains').getByText('stored as app.example.com').waitFor();
    expect(await viewer.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^(Rotate|Revoke|Remove) / }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^Add (domain|address)$/ }).count()).toBe(0);
    expect(await viewer.getByRole('switch').count()).toBe(0);
    await screenshotAndAxe(viewer, 'keys-viewer');
    await viewer.context().close();
  });
});
