/**
 * What the console's end-to-end tests share: Debian's Chromium through playwright-core (never a
 * downloaded browser), the real `ipgate serve --demo` on SQLite, calls to the gateway from a chosen
 * 127.0.0.x source address, and a screenshot of each page for docs/console.md.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from '../../cli/src/cli.test-support.js';

/** Debian's Chromium, installed by .ci/run. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the tests can run; under CI a missing browser or console build is a failure, not a skip. */
export function consoleTestsSkip(): string | undefined {
  const missing = !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`
    : !existsSync(join(repoRoot, 'apps/console/dist/index.html'))
      ? 'the console is not built (npm run build)'
      : undefined;
  if (missing !== undefined && process.env['CI'] === 'true') throw new Error(`console tests: ${missing}`);
  if (missing !== undefined) console.warn(`SKIPPING the console's end-to-end tests: ${missing}`);
  return missing;
}

/**
 * Launches headless Chromium with the flags that keep it from talking to anything but the test's servers.
 *
 * @example const browser = await launchChromium();
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** What a gateway call answered. */
export interface GatewayAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * Calls the gateway with a key from a chosen loopback source address, as a real client there would.
 *
 * @example await callGateway(gatewayUrl, '/hello', secret, '127.0.0.5'); // { status: 200, body: … }
 */
export function callGateway(
  gatewayUrl: string,
  path: string,
  secret: string,
  from: string,
  headers: Record<string, string> = {},
): Promise<GatewayAnswer> {
  const url = new URL(path, gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        localAddress: from,
        headers: { authorization: `Bearer ${secret}`, ...headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** What the check below reads in the page (this file is type-checked without the DOM library). */
interface PageGlobals {
  readonly document: { getAnimations(): readonly { readonly playState: string }[] };
}

/** Where the tests put their screenshots: docs/console.md shows them. */
export const SCREENSHOTS = join(repoRoot, 'docs/console');

/**
 * Saves a screenshot of the page for the docs and checks it with axe-core: no serious or critical
 * violation of WCAG 2.x A/AA rules.
 *
 * @example await screenshotAndAxe(page, 'ip-restriction');
 */
export async function screenshotAndAxe(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A dialog fades in: checked halfway, its buttons' colours are blended with the page behind and
  // fail the contrast rule they meet once shown. Wait until no transition or animation runs.
  await page.waitForFunction(() =>
    (globalThis as unknown as PageGlobals).document.getAnimations().every((a) => a.playState !== 'running'),
  );
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${name}`).toEqual([]);
}

/**
 * How many 403 answers the management API gave on a route, from its own metrics.
 *
 * @example await refusedCount(adminUrl, '/v1/tenants/:tenantId/ip-restriction/entries'); // 2
 */
export async function refusedCount(adminUrl: string, route: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('ipgate_admin_requests_total{')) continue;
    if (line.includes(`route="${route}"`) && line.includes('status="403"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
