/**
 * One console end-to-end run: a real `ipgate serve --demo` on SQLite in a fresh directory, Debian's
 * Chromium, the demo owner signed in, and console users of any role on demand. The settings-page tests
 * each start their own, so a page's test never depends on what another page's test changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ensureBuilt, runCli } from '../../cli/src/cli.test-support.js';
import { type ServeRun, startServe } from '../../cli/src/serve.test-support.js';
import { launchChromium } from './console.test-support.js';

/** What a started run gives a test. */
export interface DemoConsole {
  readonly serve: ServeRun;
  readonly browser: Browser;
  readonly dir: string;
  readonly tenantId: string;
  /** The demo key's secret, from the banner. */
  readonly keySecret: string;
  readonly ownerPassword: string;
  /** The console URL of a path below /console (e.g. `/t/<tenant>/keys`). */
  url(path?: string): string;
  /** A new browser context, signed in as that user, on the given console path. */
  signIn(name: string, password: string, path?: string): Promise<Page>;
  /** Adds a console user with the CLI; resolves with its password. */
  addUser(name: string, role: 'viewer' | 'editor' | 'owner'): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the demo and Chromium.
 *
 * @example const demo = await startDemoConsole(['--review', 'learnFirstAddress=true']);
 */
export async function startDemoConsole(extraArgs: readonly string[] = []): Promise<DemoConsole> {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'ipgate-console-'));
  const serve = await startServe(['--demo', '--demo-upstream-port', '0', '--data-dir', dir, ...extraArgs]);
  const ownerPassword = /sign in as owner, password: (\S+)/.exec(serve.banner)?.[1];
  const tenantId = /Demo: tenant (ten_\w+)/.exec(serve.banner)?.[1];
  const keySecret = /Bearer (ipg_live_[\w-]+)/.exec(serve.banner)?.[1];
  expect(ownerPassword, serve.banner).toBeDefined();
  const browser = await launchChromium();
  const url = (path = '/') => `${serve.adminUrl}/console${path}`;
  return {
    serve,
    browser,
    dir,
    tenantId: tenantId as string,
    keySecret: keySecret as string,
    ownerPassword: ownerPassword as string,
    url,
    async signIn(name, password, path) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await signInOn(page, url('/'), name, password);
      if (path !== undefined) await page.goto(url(path));
      return page;
    },
    async addUser(name, role) {
      const password = `${name} password long enough`;
      const added = await runCli(
        ['users', 'add', name, '--role', role, '--password-stdin', '--data-dir', dir],
        `${password}\n`,
      );
      expect(added.code, added.stderr).toBe(0);
      return password;
    },
    async stop() {
      await browser.close();
      await serve.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Signs in on the console's sign-in page and waits for the first page after it.
 *
 * @example await signInOn(page, demo.url('/'), 'owner', demo.ownerPassword);
 */
export async function signInOn(
  page: Page,
  consoleUrl: string,
  name: string,
  password: string,
): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API IP Restriction' }).waitFor();
}

/** What the keyboard check below reads in the page (this file is type-checked without the DOM library). */
interface FocusGlobals {
  readonly document: { readonly activeElement: unknown };
}

/**
 * Presses Tab from where the focus is until the target has it: the target is reachable by keyboard
 * alone. Fails after `max` presses.
 *
 * @example await tabTo(page, page.getByRole('button', { name: 'Create key' }));
 */
export async function tabTo(page: Page, target: ReturnType<Page['locator']>, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await target.evaluate(
      (el) => el === (globalThis as unknown as FocusGlobals).document.activeElement,
    );
    if (focused) return;
  }
  throw new Error(`${String(target)} was not reached with ${max} presses of Tab`);
}

/** Reloads the page until the locator shows up (what the server records arrives within a second or two). */
export async function reloadUntil(
  page: Page,
  target: ReturnType<Page['locator']>,
  ms = 20_000,
): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await target.first().waitFor({ timeout: 1500 });
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await page.reload();
    }
  }
}
