import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { loadSettings } from './config/load-settings.js';
import { type RunningServer, type ServeParts, startServer } from './serve.js';
import type { Store } from './store/store.js';
import {
  freshPostgresDatabase,
  type StoreFactory,
  type StoreLocation,
} from './store/test-stores.test-support.js';

/** A running demo server and what a test calls it with. */
export interface DemoServer {
  readonly server: RunningServer;
  /** The owner token's Authorization header, with a JSON content type. */
  readonly owner: Record<string, string>;
  /** The demo key's Authorization header. */
  readonly key: Record<string, string>;
  readonly tenantId: string;
  readonly apiId: string;
  /**
   * A request from `from` (a loopback address) to the gateway or the admin listener; a string body
   * is sent as it is, any other as JSON.
   */
  call(
    url: string,
    options?: { from?: string; method?: string; headers?: Record<string, string>; body?: unknown },
  ): Promise<{ status: number; headers: IncomingHttpHeaders; json: unknown; text: string }>;
  /** An admin API call as the owner. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** A second connection to the server's store (what no admin route shows yet); the caller closes it. */
  openStore(): Promise<Store>;
  close(): Promise<void>;
}

/**
 * Starts a demo server on the factory's kind of store, with `flags` as on the command line and the
 * `parts` a test puts in (e.g. network facts).
 *
 * @example
 * const demo = await startDemoServer(sqliteFactory(), { trustProxy: '127.0.0.1' });
 * (await demo.call(`${demo.server.gatewayUrl}/hello`, { from: '127.0.0.2', headers: demo.key })).status; // 403
 */
export async function startDemoServer(
  factory: StoreFactory,
  flags: Record<string, string | boolean> = {},
  parts: ServeParts = {},
): Promise<DemoServer> {
  const base = {
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    demo: true,
    demoUpstreamPort: '0',
    logLevel: 'silent',
    ...flags,
  } as const;
  let dispose: () => Promise<void>;
  let storeFlags: Record<string, string>;
  let location: StoreLocation;
  if (factory.name === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-demo-'));
    storeFlags = { dataDir };
    location = { kind: 'sqlite', path: join(dataDir, 'ipgate.db') };
    dispose = async () => rmSync(dataDir, { recursive: true, force: true });
  } else {
    const db = await freshPostgresDatabase('ipgate_demo');
    storeFlags = { databaseUrl: db.databaseUrl };
    location = { kind: 'postgres', connectionString: db.databaseUrl, schema: db.schema };
    dispose = db.drop;
  }
  const server = await startServer(
    loadSettings({ flags: { ...base, ...storeFlags } }),
    { out: () => {}, flush: async () => {} },
    parts,
  );
  const owner = { authorization: `Bearer ${server.ownerToken}`, 'content-type': 'application/json' };
  const call: DemoServer['call'] = async (url, options = {}) => {
    const dispatcher = new Agent({ localAddress: options.from ?? '127.0.0.1' });
    try {
      const r = await request(url, {
        method: (options.method ?? 'GET') as 'GET',
        headers: options.headers ?? {},
        body:
          options.body === undefined
            ? null
            : typeof options.body === 'string'
              ? options.body
              : JSON.stringify(options.body),
        dispatcher,
      });
      const text = await r.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: r.statusCode, headers: r.headers, json, text };
    } finally {
      await dispatcher.close();
    }
  };
  const admin: DemoServer['admin'] = async (method, path, body) => {
    // A JSON content type without a body is a 400 in Fastify: only say it when there is one.
    const headers = body === undefined ? { authorization: owner.authorization as string } : owner;
    const r = await call(`${server.adminUrl}${path}`, { method, headers, body });
    return { status: r.status, json: r.json };
  };
  const tenants = (await admin('GET', '/v1/tenants')).json as { items: { id: string }[] };
  const apis = (await admin('GET', '/v1/apis')).json as { items: { id: string }[] };
  return {
    server,
    owner,
    key: { authorization: `Bearer ${server.demoKeySecret}` },
    tenantId: tenants.items[0]?.id as string,
    apiId: apis.items[0]?.id as string,
    call,
    admin,
    openStore: () => factory.openAt(location),
    async close() {
      await server.close();
      await dispose();
    },
  };
}

/**
 * Polls until `probe` returns something other than undefined (the recorder writes every second).
 *
 * @example
 * const rows = await eventually(async () => { const r = await list(); return r.length > 0 ? r : undefined; });
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
