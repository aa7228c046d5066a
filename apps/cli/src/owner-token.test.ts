/**
 * The owner admin token with the real `ipgate serve`, on SQLite and on PostgreSQL: a first start that
 * fails (a port in use) must not make a token nobody sees.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPostgres } from '@ipgate/test-support/postgres';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './cli.test-support.js';
import { type ServeRun, startServe } from './serve.test-support.js';

beforeAll(ensureBuilt, 180_000);

const postgres = await testPostgres();

/** Where a test's store lives, as the arguments `serve` and `admin-token create` take. */
interface StoreUnderTest {
  readonly args: readonly string[];
  dispose(): Promise<void>;
}

const stores: { name: string; skip: boolean; open(): Promise<StoreUnderTest> }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ipgate-owner-token-'));
      return {
        args: ['--data-dir', dir],
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgres.skip,
    open: async () => {
      const schema = await postgres.freshSchema();
      return { args: ['--database-url', schema.url], dispose: schema.drop };
    },
  },
];

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(store: (typeof stores)[number]): Promise<StoreUnderTest> {
  const opened = await store.open();
  cleanups.push(() => opened.dispose());
  return opened;
}

async function serve(args: readonly string[]): Promise<ServeRun> {
  const run = await startServe(args);
  cleanups.push(() => run.stop());
  return run;
}

/** GET on the management API with a bearer token: the status and the body. */
async function get(run: ServeRun, path: string, token: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${run.adminUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}

function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, server })),
  );
}

describe.each(stores)('the owner token on $name', (store) => {
  it.skipIf(store.skip)(
    'a first start that cannot bind its port makes no token; the next start that works prints one',
    async () => {
      const { args } = await open(store);
      const { port, server } = await takenPort();
      try {
        const failed = await runCli([
          'serve',
          '--listen',
          `127.0.0.1:${port}`,
          '--admin-listen',
          '127.0.0.1:0',
          '--log-level',
          'silent',
          ...args,
        ]);
        expect(failed.code, failed.stderr).toBe(2);
        expect(failed.stdout).not.toContain('ipg_adm_');
      } finally {
        server.close();
      }

      const run = await serve(args);
      expect(run.banner).toContain('Owner admin token');
      const token = run.ownerToken as string;
      expect(token).toMatch(/^ipg_adm_/);
      expect((await get(run, '/v1/tenants', token)).status).toBe(200);
    },
  );
});
