import type { Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleOnPage, startExample } from './docs.test-support.js';
import { close, send } from './sockets.test-support.js';

let server: Server | undefined;
afterAll(async () => {
  if (server) await close(server);
});

describe('docs/node.md: the copy-paste example', () => {
  it('is on the page verbatim', () => {
    expect(exampleOnPage(new URL('./docs-example.test-support.ts', import.meta.url), 'node.md').onPage).toBe(
      true,
    );
  });

  it('runs: a listed address passes, others get the 403 JSON', async () => {
    const started = await startExample(() => import('./docs-example.test-support.js'));
    server = started.server;
    expect((await send(started.port, '127.0.0.2')).status).toBe(200);
    const denied = await send(started.port, '127.0.0.3');
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({
      error: "Access denied. You don't have permission to access this.",
    });
  });
});
