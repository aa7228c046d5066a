/**
 * The owner admin token with the real `ipgate serve`: a first start that fails (a port in use) must not
 * make a token nobody sees, and whoever can reach the data directory or the database can make a new
 * owner token with `ipgate admin-token create --owner`, on SQLite and on PostgreSQL.
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

  it.skipIf(store.skip)(
    'admin-token create --owner makes a working token offline and beside a running server',
    async () => {
      const { args } = await open(store);
      const first = await serve(args);
      const firstToken = first.ownerToken as string;
      expect(firstToken).toMatch(/^ipg_adm_/);
      expect(await first.stop()).toBe('exit 0');

      // The server is down and the first token is lost: make a new one from the store alone.
      const made = await runCli(['admin-token', 'create', '--owner', ...args]);
      expect(made.code, made.stderr).toBe(0);
      expect(made.stdout).toMatch(store.name === 'SQLite' ? /for SQLite in \// : /for PostgreSQL/);
      const offline = /^ {2}(ipg_adm_\S+)$/m.exec(made.stdout)?.[1] as string;
      expect(offline).toMatch(/^ipg_adm_/);
      expect(offline).not.toBe(firstToken);

      const second = await serve(args);
      expect(second.ownerToken).toBeUndefined();
      const tenants = await get(second, '/v1/tenants', offline);
      expect(tenants.status).toBe(200);
      const tokens = await get(second, '/v1/tokens', offline);
      expect(tokens.status).toBe(200);
      expect(JSON.stringify(tokens.body)).toMatch(/owner \(ipgate admin-token create, \d{4}-/);

      // While the server runs: the management API accepts a token made beside it at once.
      const named = await runCli(['admin-token', 'create', '--owner', '--name', 'break-glass', ...args]);
      expect(named.code, named.stderr).toBe(0);
      const online = /^ {2}(ipg_adm_\S+)$/m.exec(named.stdout)?.[1] as string;
      expect((await get(second, '/v1/tenants', online)).status).toBe(200);

      // The same name again: refused, naming the clash.
      const again = await runCli(['admin-token', 'create', '--owner', '--name', 'break-glass', ...args]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('A token named "break-glass" exists already');
    },
  );
});

describe('ipgate admin-token create', () => {
  it('asks for --owner: it makes owner tokens only, others come from the management API (exit 2)', async () => {
    const r = await runCli(['admin-token', 'create']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--owner');
    expect(r.stderr).toContain('/v1/tokens');
  });

  it('says so when the store had no tokens (a new store: a mistyped --data-dir?)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipgate-owner-token-'));
    try {
      const r = await runCli(['admin-token', 'create', '--owner', '--data-dir', join(dir, 'typo')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ {2}ipg_adm_\S+$/m);
      expect(r.stderr).toContain('this store had no admin tokens before, so ipgate serve will print none');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad store setting, naming it (exit 2)', async () => {
    const r = await runCli(['admin-token', 'create', '--owner', '--database-url', 'mysql://db/ipgate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/databaseUrl \(from the flag --database-url\) is invalid/);
  });

  it('is in ipgate --help and documents where the store is in its own --help', async () => {
    const top = await runCli(['--help']);
    expect(top.stdout).toContain('ipgate admin-token create --owner');
    const own = await runCli(['admin-token', 'create', '--help']);
    expect(own.code).toBe(0);
    for (const text of [
      '--owner',
      '--name',
      '--data-dir',
      '--database-url',
      'IPGATE_DATA_DIR',
      'DATABASE_URL',
    ]) {
      expect(own.stdout).toContain(text);
    }
  });
});
