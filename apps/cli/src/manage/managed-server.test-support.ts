/**
 * A real ipgate (startServer, SQLite in a temp dir, loopback ports) for the management command
 * tests, and `ipgate …` run against it through the real CLI entry point with IPGATE_TOKEN and
 * IPGATE_SERVER set as a person would set them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type RunningServer, startServer } from '@ipgate/server';
import { Agent, request } from 'undici';
import { type CliRun, runCli } from '../cli.test-support.js';

/** A running server and its owner token. */
export interface ManagedServer {
  readonly server: RunningServer;
  readonly adminUrl: string;
  readonly ownerToken: string;
  /** Runs `ipgate …` against this server with the owner token (or `env`'s changes). */
  ipgate(args: readonly string[], env?: Readonly<Record<string, string | undefined>>): Promise<CliRun>;
  /** Runs `ipgate … --json` and parses standard output. */
  json<T = Record<string, unknown>>(
    args: readonly string[],
    env?: Readonly<Record<string, string | undefined>>,
  ): Promise<{ code: number | null; body: T; stderr: string }>;
  /** With `demo`: the demo tenant's id. */
  readonly demoTenantId: string | undefined;
  /**
   * Calls the gateway's `/hello` from a loopback `address` with the demo key (or `secret`): its
   * status and the X-Request-Id it gave.
   */
  callGateway(address: string, secret?: string): Promise<{ status: number; requestId: string }>;
  /** Calls the management API directly, for set-up the commands under test do not do. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/**
 * Starts ipgate on a fresh SQLite store; with `demo`, with the demo tenant, key and API too.
 *
 * @example
 * const s = await startManagedServer();
 * const r = await s.ipgate(['tenants', 'list']);
 */
export async function startManagedServer(options: { demo?: boolean } = {}): Promise<ManagedServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-cli-manage-'));
  const settings = loadSettings({
    flags: {
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      dataDir,
      logLevel: 'silent',
      ...(options.demo === true ? { demo: true, demoUpstreamPort: '0' } : {}),
    },
  });
  const server = await startServer(settings, { out: () => undefined, flush: async () => undefined });
  const ownerToken = server.ownerToken;
  if (ownerToken === undefined) throw new Error('no owner token on a fresh store');
  const baseEnv = { IPGATE_TOKEN: ownerToken, IPGATE_SERVER: server.adminUrl };
  const ipgate: ManagedServer['ipgate'] = (args, env) => runCli(args, undefined, { ...baseEnv, ...env });
  const api: ManagedServer['api'] = async (method, path, body) => {
    const response = await fetch(`${server.adminUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ownerToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as never;
  };
  const demoTenantId =
    options.demo === true
      ? (await api<{ items: { id: string }[] }>('GET', '/v1/tenants')).items[0]?.id
      : undefined;
  return {
    server,
    adminUrl: server.adminUrl,
    ownerToken,
    demoTenantId,
    ipgate,
    async callGateway(address, secret = server.demoKeySecret) {
      const agent = new Agent({ localAddress: address });
      try {
        const res = await request(`${server.gatewayUrl}/hello`, {
          headers: { authorization: `Bearer ${secret}` },
          dispatcher: agent,
        });
        await res.body.text();
        return { status: res.statusCode, requestId: String(res.headers['x-request-id']) };
      } finally {
        await agent.close();
      }
    },
    async json(args, env) {
      const r = await ipgate([...args, '--json'], env);
      let body: unknown;
      try {
        body = JSON.parse(r.stdout);
      } catch {
        throw new Error(`not one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
      }
      return { code: r.code, body: body as never, stderr: r.stderr };
    },
    api,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
