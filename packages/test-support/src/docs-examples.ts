import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { close, send } from './sockets.js';

/**
 * The example file, verbatim, and whether the docs page shows it verbatim in a ```ts block: the
 * page's copy-paste example is the file that the test runs.
 */
export function exampleOnPage(example: URL, page: string): { example: string; onPage: boolean } {
  const text = readFileSync(example, 'utf8').trim();
  const doc = readFileSync(new URL(`../../../docs/${page}`, import.meta.url), 'utf8');
  return { example: text, onPage: doc.includes(`\`\`\`ts\n${text}\n\`\`\``) };
}

/** Imports an example module that listens on `process.env.PORT`, with port 0, and returns its port. */
export async function startExample(
  load: () => Promise<{ server: Server }>,
): Promise<{ port: number; server: Server }> {
  process.env['PORT'] = '0';
  const { server } = await load();
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/**
 * The two tests every docs page's example gets: the page shows the example file verbatim, and the
 * example, started, listens on loopback only, lets a listed address through (127.0.0.2) and gives another
 * (127.0.0.3) the 403 JSON.
 *
 * @example
 * describeDocsExample('express.md', new URL('./docs-example.test-support.ts', import.meta.url), () => import('./docs-example.test-support.js'));
 */
export function describeDocsExample(
  page: string,
  example: URL,
  load: () => Promise<{ server: Server }>,
): void {
  describe(`docs/${page}: the copy-paste example ${example.pathname.split('/').pop()}`, () => {
    let server: Server | undefined;
    afterAll(async () => {
      if (server) await close(server);
    });

    it('is on the page verbatim', () => {
      expect(exampleOnPage(example, page).onPage).toBe(true);
    });

    it('runs: a listed address passes, others get the 403 JSON', async () => {
      const started = await startExample(load);
      server = started.server;
      // A copy-pasted example must not open the app to every network the machine is on.
      expect((started.server.address() as AddressInfo).address).toBe('127.0.0.1');
      expect((await send(started.port, '127.0.0.2')).status).toBe(200);
      const denied = await send(started.port, '127.0.0.3');
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.body)).toMatchObject({
        error: "Access denied. You don't have permission to access this.",
      });
    });
  });
}
