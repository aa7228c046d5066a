/**
 * ipgate as `ipgate serve` runs it (startServer, SQLite in a temp dir, ports 0, trusting 127.0.0.1 as
 * its proxy) with the decision-table world seeded, and a small upstream that answers 200 with what it
 * received — for the decision endpoint tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../config/load-settings.js';
import { type RunningServer, startServer } from '../serve.js';
import { openSqliteStore } from '../store/sqlite.js';
import { type GatewayWorld, seedGatewayWorld } from './gateway-cases.test-support.js';

/** A running ipgate with the seeded world. */
export interface DecisionServer {
  readonly server: RunningServer;
  readonly world: GatewayWorld;
  /** The upstream's URL; it answers 200 `{"upstream":true,"path":…,"headers":…}`. */
  readonly upstreamUrl: string;
  readonly ownerToken: string;
  close(): Promise<void>;
}

/**
 * Starts the upstream and ipgate.
 *
 * @example
 * const s = await startDecisionServer();
 * await fetch(`${s.server.adminUrl}/v1/decide/traefik`, { headers: { 'x-forwarded-uri': '/orders' } });
 * await s.close();
 */
export async function startDecisionServer(): Promise<DecisionServer> {
  const upstream = await startUpstream();
  const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-decide-'));
  const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
  let world: GatewayWorld;
  try {
    world = await seedGatewayWorld(store, { upstreamUrl: upstream.url });
  } finally {
    await store.close();
  }
  const settings = loadSettings({
    flags: {
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      dataDir,
      trustProxy: '127.0.0.1',
      logLevel: 'silent',
    },
  });
  const server = await startServer(settings, { out: () => undefined, flush: async () => undefined });
  if (server.ownerToken === undefined) throw new Error('no owner token on a fresh store');
  return {
    server,
    world,
    upstreamUrl: upstream.url,
    ownerToken: server.ownerToken,
    async close() {
      await server.close();
      await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    const body = JSON.stringify({ upstream: true, path: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
