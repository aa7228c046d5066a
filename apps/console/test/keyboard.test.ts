/**
 * The console by keyboard alone, in Chromium against a real `ipgate serve --demo`: Tab, Shift+Tab,
 * Enter, Space, Escape and the arrow keys, never the mouse. Sign in; on API IP Restriction add an entry
 * through the modal, edit it, disable it with its switch and delete it after the confirmation; switch
 * tenant; reach every page from the navigation. At each step the focus is where a keyboard user
 * expects it, and visibly so; a modal keeps the focus inside and gives it back to what opened it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleTestsSkip } from './console.test-support.js';
import { type DemoConsole, startDemoConsole } from './demo-console.test-support.js';

const skip = consoleTestsSkip();

/** What the checks below read in the page (this file is type-checked without the DOM library). */
interface FocusElement {
  readonly tagName: string;
  readonly isConnected: boolean;
  matches(selector: string): boolean;
  getAttribute(name: string): string | null;
  closest(selector: string): FocusElement | null;
  readonly textContent: string | null;
  readonly nextElementSibling: FocusElement | null;
  readonly parentElement: FocusElement | null;
  readonly labels?: ArrayLike<FocusElement> | null;
  querySelector(selector: string): FocusElement | null;
}
interface KeyboardGlobals {
  readonly document: {
    readonly activeElement: FocusElement | null;
    readonly body: FocusElement;
    getElementById(id: string): FocusElement | null;
  };
  getComputedStyle(el: FocusElement): { outlineStyle: string; outlineWidth: string };
}

/** The focused element, as a test reads it. */
interface Focused {
  readonly tag: string;
  readonly label: string;
  /** The accessible name of the dialog it is in, or null. */
  readonly dialog: string | null;
  /** Whether the browser shows it as focused by keyboard (`:focus-visible`) with a drawn outline. */
  readonly visible: boolean;
}

async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const g = globalThis as unknown as KeyboardGlobals;
    const el = g.document.activeElement;
    if (el === null || el === g.document.body)
      return { tag: 'body', label: '', dialog: null, visible: false };
    const dialog = el.closest('[role="dialog"]');
    const text = (id: string | null | undefined) =>
      id === null || id === undefined ? null : (g.document.getElementById(id)?.textContent?.trim() ?? null);
    const title = text(dialog?.getAttribute('aria-labelledby'));
    const label =
      el.getAttribute('aria-label') ??
      text(el.getAttribute('aria-labelledby')?.split(' ')[0]) ??
      // A field's <label>, without the asterisk of a required one.
      el.labels?.[0]?.textContent?.replace(/\s*\*$/, '').trim() ??
      el.textContent?.trim() ??
      '';
    // A text field shows its focus by its border; anything else by an outline on itself or on the
    // element drawn for it (a switch's track follows its hidden input).
    const outlined = (n: FocusElement | null) => {
      if (n === null) return false;
      const s = g.getComputedStyle(n);
      return s.outlineStyle !== 'none' && Number.parseFloat(s.outlineWidth) > 0;
    };
    const field =
      el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && el.getAttribute('role') !== 'switch');
    const drawn =
      field ||
      outlined(el) ||
      outlined(el.nextElementSibling) ||
      outlined(el.parentElement?.querySelector('[class*="track"]') ?? null);
    return {
      tag: el.tagName.toLowerCase(),
      label,
      dialog: dialog === null ? null : (title ?? ''),
      visible: el.matches(':focus-visible') && drawn,
    };
  });
}

describe.skipIf(skip !== undefined)('the console by keyboard alone', { timeout: 240_000 }, () => {
  let demo: DemoConsole;
  let page: Page;
  let second: string;

  beforeAll(async () => {
    demo = await startDemoConsole();
    const created = await fetch(`${demo.serve.adminUrl}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.serve.ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Second Co', ipMode: 'off' }),
    });
    expect(created.status).toBe(201);
    second = ((await created.json()) as { id: string }).id;
    const context = await demo.browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await demo?.stop();
  }, 60_000);

  const press = (key: string) => page.keyboard.press(key);

  /** Presses `key` until the focused element's label is `label`; the focus stays in `dialog` meanwhile. */
  async function moveTo(key: 'Tab' | 'Shift+Tab', label: string | RegExp, dialog?: string, max = 80) {
    for (let i = 0; i < max; i++) {
      await press(key);
      const now = await focused(page);
      if (dialog !== undefined) expect(now.dialog, `${key} left the dialog at ${now.label}`).toBe(dialog);
      if (typeof label === 'string' ? now.label === label : label.test(now.label)) {
        expect(now.visible, `the focus on ${now.label} is not visible`).toBe(true);
        return;
      }
    }
    throw new Error(`${String(label)} was not reached with ${max} presses of ${key}`);
  }

  async function expectFocus(label: string | RegExp, dialog: string | null = null): Promise<void> {
    await expect
      .poll(async () => {
        const now = await focused(page);
        const named = typeof label === 'string' ? now.label === label : label.test(now.label);
        return named && now.dialog === dialog && now.visible ? 'ok' : JSON.stringify(now);
      })
      .toBe('ok');
  }

  it('does everything a person does on API IP Restriction with the keyboard alone', async () => {
    // Sign in: the first Tab reaches the name, Enter in the password submits.
    await page.goto(demo.url('/'));
    await page.getByLabel('User name').waitFor();
    await moveTo('Tab', 'User name');
    await page.keyboard.type('owner');
    await moveTo('Tab', 'Password');
    await page.keyboard.type(demo.ownerPassword);
    await press('Enter');
    await page.getByRole('heading', { name: 'API IP Restriction', level: 1 }).waitFor();
    await page
      .getByRole('button', { name: /^Edit / })
      .first()
      .waitFor();

    // Add: the modal opens with the focus in its address field and keeps the focus inside.
    await moveTo('Tab', 'Add');
    await press('Enter');
    const dialog = page.getByRole('dialog', { name: 'IP List Configuration' });
    await dialog.waitFor();
    await expectFocus('IP Address or Range', 'IP List Configuration');
    await page.keyboard.type('127.0.0.77');
    await moveTo('Shift+Tab', 'IP Name', 'IP List Configuration');
    await page.keyboard.type('keyboard entry');
    // Round the whole dialog: Tab never leaves it.
    await moveTo('Tab', 'Save', 'IP List Configuration');
    await moveTo('Tab', 'IP Name', 'IP List Configuration');
    // Enter in a field saves; the focus goes back to Add.
    await press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Edit keyboard entry' }).waitFor();
    await expectFocus('Add');

    // Escape closes the modal without a change, and the focus goes back to what opened it.
    await moveTo('Tab', 'Edit keyboard entry');
    await press('Enter');
    await dialog.waitFor();
    await expectFocus('IP Address or Range', 'IP List Configuration');
    await press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expectFocus('Edit keyboard entry');

    // Edit: Enter on the name opens it; a new name is saved with Enter.
    await press('Enter');
    await dialog.waitFor();
    await moveTo('Shift+Tab', 'IP Name', 'IP List Configuration');
    await press('ControlOrMeta+A');
    await page.keyboard.type('keyboard renamed');
    await press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await expectFocus('Edit keyboard renamed');

    // Toggle: Space on the switch disables the entry; the focus stays on the switch.
    await moveTo('Tab', 'keyboard renamed enabled');
    const toggle = page.getByRole('switch', { name: 'keyboard renamed enabled' });
    expect(await toggle.isChecked()).toBe(true);
    await press('Space');
    await expect.poll(() => toggle.isChecked()).toBe(false);
    await expectFocus('keyboard renamed enabled');

    // Delete: the confirmation opens on Cancel; Escape keeps the entry; Tab, Enter on Delete removes it.
    await moveTo('Tab', 'Delete keyboard renamed');
    await press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Delete this entry?' });
    await confirm.waitFor();
    await expectFocus('Cancel', 'Delete this entry?');
    await press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    await expectFocus('Delete keyboard renamed');
    await press('Enter');
    await confirm.waitFor();
    await moveTo('Tab', 'Delete', 'Delete this entry?');
    await press('Enter');
    await confirm.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Edit keyboard renamed' }).waitFor({ state: 'detached' });
    // The row is gone: the focus lands on what says so, not on the page's body.
    await expectFocus(/^Deleted keyboard renamed/);
    const entries = (await (
      await fetch(`${demo.serve.adminUrl}/v1/tenants/${demo.tenantId}/ip-restriction/entries?limit=500`, {
        headers: { authorization: `Bearer ${demo.serve.ownerToken}` },
      })
    ).json()) as { items: { value: string }[] };
    expect(entries.items.map((e) => e.value)).not.toContain('127.0.0.77');
  });

  it('switches tenant and reaches every page from the navigation with the keyboard alone', async () => {
    // The switcher: typed into, an arrow key to the option, Enter takes it.
    await moveTo('Shift+Tab', 'Tenant');
    await page.keyboard.type('Second');
    await page.getByRole('option', { name: 'Second Co' }).waitFor();
    await press('ArrowDown');
    await press('Enter');
    await expect.poll(() => page.url()).toBe(demo.url(`/t/${second}/ip-restriction`));
    await expectFocus('Tenant');
    expect(await page.getByRole('combobox', { name: 'Tenant' }).inputValue()).toBe('Second Co');

    const pages: [string, string][] = [
      ['Authorized IPs', `/t/${second}/authorized-ips`],
      ['API keys', `/t/${second}/keys`],
      ['Check an address', `/t/${second}/check`],
      ['REST API logs', `/t/${second}/requests`],
      ['Audit log', `/t/${second}/audit`],
      ['APIs', '/apis'],
      ['Users and tokens', '/users'],
      ['API IP Restriction', `/t/${second}/ip-restriction`],
    ];
    for (const [label, path] of pages) {
      const link = page.getByRole('navigation').getByRole('link', { name: label });
      // Forward from the switcher, or back from wherever the last page left the focus.
      const forward = await link.evaluate(
        (el) =>
          ((el as unknown as { compareDocumentPosition(o: unknown): number }).compareDocumentPosition(
            (globalThis as unknown as KeyboardGlobals).document.activeElement,
          ) &
            2) !==
          0,
      );
      await moveTo(forward ? 'Tab' : 'Shift+Tab', label);
      await press('Enter');
      await expect.poll(() => page.url()).toBe(demo.url(path));
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      expect(await link.getAttribute('aria-current')).toBe('page');
      // The focus stays on the link followed, so the next Tab goes on from there.
      await expectFocus(label);
    }
  });
});
