/**
 * Authorized IPs in Chromium against a real `ipgate serve --demo`: an unknown address that called is
 * pending, is authorized from the console and admitted on its very next request, and the undo denies it
 * again; the assessment, the notification channels and their test send, keyboard reach, a viewer's
 * read-only page and axe.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callGateway, consoleTestsSkip, screenshotAndAxe } from './console.test-support.js';
import { type DemoConsole, reloadUntil, startDemoConsole, tabTo } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

describe.skipIf(skip !== undefined)('Authorized IPs in Chromium', { timeout: 90_000 }, () => {
  let demo: DemoConsole;
  let page: Page;
  const stranger = '127.0.0.9';
  const call = () => callGateway(demo.serve.gatewayUrl, '/hello', demo.keySecret, stranger);
  const path = () => `/t/${demo.tenantId}/authorized-ips`;

  beforeAll(async () => {
    demo = await startDemoConsole();
    page = await demo.signIn('owner', demo.ownerPassword);
  }, 120_000);

  afterAll(async () => {
    await demo?.stop();
  }, 60_000);

  it('lists an unknown address that called as waiting for review, with its key, count and times', async () => {
    expect((await call()).status).toBe(403);
    await page.getByRole('link', { name: 'Authorized IPs' }).click();
    await page.getByRole('heading', { name: 'Authorized IPs' }).waitFor();
    expect(page.url()).toBe(demo.url(path()));
    // The mode, with a sentence on each.
    const main = page.getByRole('main');
    for (const sentence of ['Off: every address', 'Manual: only the addresses', 'Auto: as manual'])
      await expect.poll(() => main.textContent()).toContain(sentence);
    const row = page.getByRole('row').filter({ hasText: stranger });
    await reloadUntil(page, row);
    expect(await row.textContent()).toContain('demo key');
    // The assessment made when it was first denied: advice in manual mode.
    expect(await row.textContent()).toContain('127.0.0.0/24');
    expect(await row.textContent()).toContain('Held, score');
    await screenshotAndAxe(page, 'authorized-ips');
  });

  it('shows the assessment made now: network facts and each factor', async () => {
    await page.getByRole('button', { name: `Assess ${stranger}` }).click();
    const dialog = page.getByRole('dialog', { name: `Assessment of ${stranger}` });
    await dialog.getByText('reserved-address').waitFor();
    expect(await dialog.textContent()).toContain('127.0.0.0/24');
    expect(await dialog.textContent()).toMatch(/Held: score/);
    await screenshotAndAxe(page, 'authorized-ips-assessment');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('authorizes the pending address by keyboard alone; the gateway admits its very next request', async () => {
    await page.getByRole('tab', { name: 'Waiting for review' }).focus();
    const authorize = page.getByRole('button', { name: `Authorize ${stranger}` });
    await tabTo(page, authorize);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Authorize ${stranger}` });
    await dialog.waitFor();
    await page.keyboard.type('build agent');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toContain(`Authorized ${stranger}`);
    expect((await call()).status).toBe(200);
    // It left the pending list and is on the tenant's list.
    await page.getByRole('row').filter({ hasText: stranger }).waitFor({ state: 'detached' });
    const entries = await fetch(`${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/ip-restriction/entries`, {
      headers: { authorization: `Bearer ${demo.serve.ownerToken}` },
    });
    expect(JSON.stringify(await entries.json())).toContain('build agent');
  });

  it('shows how an address was authorized, and Undo denies it again on the next request', async () => {
    await page.getByRole('tab', { name: 'Authorized' }).click();
    const row = page.getByRole('row').filter({ hasText: stranger });
    await row.waitFor();
    expect(await row.textContent()).toContain('authorized by');
    await row.getByRole('button', { name: `Undo ${stranger}` }).click();
    const dialog = page.getByRole('dialog', { name: `Undo ${stranger}` });
    expect(await dialog.textContent()).toContain('entries that authorizing it added are removed');
    await dialog.getByRole('button', { name: 'Undo' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain(`Rejected ${stranger}`);
    expect((await call()).status).toBe(403);
  });

  it('changes the mode by keyboard (arrow keys move through off / manual / auto)', async () => {
    await page.getByRole('radio', { name: 'Manual' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(async () =>
        (
          await fetch(`${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/ip-restriction`, {
            headers: { authorization: `Bearer ${demo.serve.ownerToken}` },
          })
        ).json(),
      )
      .toMatchObject({ mode: 'auto' });
    // The page has read the new version back before the next change is made from it.
    await expect.poll(() => page.getByRole('radio', { name: 'Auto' }).isChecked()).toBe(true);
    await page.getByRole('radio', { name: 'Auto' }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByRole('radio', { name: 'Manual' }).isChecked()).toBe(true);
  });

  it('in auto mode shows the assessment made at the first call: network, verdict and its reasons', async () => {
    const admin = (method: string, body?: unknown) =>
      fetch(`${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/ip-restriction`, {
        method,
        headers: { authorization: `Bearer ${demo.serve.ownerToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await admin('PATCH', { mode: 'auto' })).status).toBe(200);
    try {
      // Loopback space is never trusted automatically: held, pending, with the assessment stored.
      const held = await callGateway(demo.serve.gatewayUrl, '/hello', demo.keySecret, '127.0.0.11');
      expect(held.status).toBe(403);
      await page.getByRole('tab', { name: 'Waiting for review' }).click();
      const row = page.getByRole('row').filter({ hasText: '127.0.0.11' });
      await reloadUntil(page, row);
      await expect.poll(() => row.textContent()).toContain('Held, score');
      const text = (await row.textContent()) ?? '';
      expect(text).toContain('127.0.0.0/24');
      expect(text).toContain('reserved-address');
      expect(text).toContain('loopback');
    } finally {
      expect((await admin('PATCH', { mode: 'manual' })).status).toBe(200);
    }
  });

  it('tells the person when someone else decided meanwhile, and offers to reload', async () => {
    const other = '127.0.0.12';
    expect((await callGateway(demo.serve.gatewayUrl, '/hello', demo.keySecret, other)).status).toBe(403);
    await page.getByRole('tab', { name: 'Waiting for review' }).click();
    const row = page.getByRole('row').filter({ hasText: other });
    await reloadUntil(page, row);
    await page.getByRole('button', { name: `Authorize ${other}` }).click();
    const dialog = page.getByRole('dialog', { name: `Authorize ${other}` });
    await dialog.waitFor();
    // Someone else rejects it through the API while the dialog is open.
    const list = await fetch(
      `${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/observed-ips?status=pending&limit=500`,
      { headers: { authorization: `Bearer ${demo.serve.ownerToken}` } },
    );
    const { items } = (await list.json()) as { items: { id: string; address: string }[] };
    const id = items.find((o) => o.address === other)?.id as string;
    const rejected = await fetch(
      `${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/observed-ips/${id}/reject`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${demo.serve.ownerToken}`, 'content-type': 'application/json' },
        body: '{}',
      },
    );
    expect(rejected.status).toBe(200);
    await dialog.getByRole('button', { name: 'Authorize' }).click();
    await dialog.getByText('Changed meanwhile').waitFor();
    await dialog.getByRole('button', { name: 'Reload the list' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.waitFor({ state: 'detached' });
    // Nothing was authorized: the rejection stands.
    expect((await callGateway(demo.serve.gatewayUrl, '/hello', demo.keySecret, other)).status).toBe(403);
  });

  it('adds notification channels: a private webhook is refused next to its field, an email is added', async () => {
    await page.getByRole('button', { name: 'Add channel' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a notification channel' });
    await dialog.getByText('Webhook', { exact: true }).click();
    await dialog.getByLabel('Name').fill('ops');
    const url = dialog.getByLabel('Webhook URL');
    await url.fill('not a url');
    await url.blur();
    await expect.poll(() => dialog.textContent()).toContain('Write a full URL');
    await url.fill('http://127.0.0.1:9/hook');
    await dialog.getByRole('button', { name: 'Add' }).click();
    // The server's refusal, next to the field it names.
    await expect.poll(() => dialog.textContent()).toContain('may not point at a');
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    await dialog.getByText('Email', { exact: true }).click();
    await dialog.getByLabel('Name').fill('security team');
    await dialog.getByLabel('Email address').fill('security@example.com');
    await screenshotAndAxe(page, 'authorized-ips-channel');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('row').filter({ hasText: 'security@example.com' }).waitFor();
    // By keyboard: Mantine's track covers the (visually hidden) input, so a pointer click on the
    // switch's role element is intercepted by Playwright's hit-target check.
    await page.getByRole('switch', { name: 'security team enabled' }).focus();
    await page.keyboard.press('Space');
    await expect
      .poll(() => page.getByRole('switch', { name: 'security team enabled' }).isChecked())
      .toBe(false);
  });

  it('sends a channel a test message and says how it went: kept, refused when too soon, failed with its reason', async () => {
    const admin = { authorization: `Bearer ${demo.serve.ownerToken}`, 'content-type': 'application/json' };
    const channels = `${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/notification-channels`;
    // A webhook whose host name never resolves (.invalid): accepted when written, fails when sent.
    const added = await fetch(channels, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        kind: 'webhook',
        name: 'nowhere',
        target: 'http://hook.nowhere.invalid/ipgate',
      }),
    });
    expect(added.status).toBe(201);
    await page.reload();
    const sendOwner = page.getByRole('button', { name: 'Send test to demo owner' });
    await tabTo(page, sendOwner, 150);
    await page.keyboard.press('Enter');
    const kept = page.getByRole('status').filter({ hasText: 'Test message to demo owner sent' });
    await kept.waitFor();
    expect(await kept.textContent()).toContain('kept in the outbox');
    const outbox = await fetch(`${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/outbox`, {
      headers: admin,
    });
    const { items } = (await outbox.json()) as { items: { subject: string }[] };
    expect(items.map((i) => i.subject)).toContain('[ipgate] Test message: channel "demo owner" of Demo Co');
    // Pressed again at once: nothing is sent, and the page says when to try again.
    await sendOwner.click();
    const refused = page.getByRole('alert').filter({ hasText: 'moments ago' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/Wait \d+ s/);
    await page.getByRole('button', { name: 'Send test to nowhere' }).click();
    const failed = page.getByRole('alert').filter({ hasText: 'Test message to nowhere failed' });
    await failed.waitFor({ timeout: 15_000 });
    expect(await failed.textContent()).toMatch(/could not connect|no answer in time/);
    await screenshotAndAxe(page, 'authorized-ips-channel-test');
    const audit = await fetch(
      `${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/audit-events?action=tenant.notification_channel.tested`,
      { headers: admin },
    );
    const events = ((await audit.json()) as { items: { after: { result: string } }[] }).items;
    expect(events.map((e) => e.after.result).sort()).toEqual(['failed', 'ok']);
  });

  it('a viewer sees the addresses and channels without any control that changes them', async () => {
    expect((await callGateway(demo.serve.gatewayUrl, '/hello', demo.keySecret, '127.0.0.10')).status).toBe(
      403,
    );
    const password = await demo.addUser('vera', 'viewer');
    const viewer = await demo.signIn('vera', password, path());
    await viewer.getByRole('heading', { name: 'Authorized IPs' }).waitFor();
    await reloadUntil(viewer, viewer.getByRole('row').filter({ hasText: '127.0.0.10' }));
    await viewer.getByRole('row').filter({ hasText: 'security@example.com' }).waitFor();
    expect(await viewer.getByRole('button', { name: /^(Authorize|Reject|Undo) / }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Add channel' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^Remove channel/ }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^Send test/ }).count()).toBe(0);
    expect(await viewer.getByRole('switch').count()).toBe(0);
    expect(await viewer.getByRole('radio').count()).toBe(0);
    // Assessing changes nothing, so a viewer may.
    expect(await viewer.getByRole('button', { name: 'Assess 127.0.0.10' }).count()).toBe(1);
    await screenshotAndAxe(viewer, 'authorized-ips-viewer');
    await viewer.context().close();
  });
});
