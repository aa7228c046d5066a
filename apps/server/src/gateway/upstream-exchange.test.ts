import { createHash } from 'node:crypto';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExchangeFailure, UpstreamExchange } from './upstream-exchange.js';

const servers: Server[] = [];
const pools: Pool[] = [];

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A minimal proxy in front of `upstreamPort` that forwards through UpstreamExchange, as the gateway does. */
async function proxy(upstreamPort: number, failures: ExchangeFailure[]): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { headersTimeout: 2000, bodyTimeout: 2000 });
  pools.push(pool);
  return listen((req, res) => {
    const exchange = new UpstreamExchange(res, 'req_test', undefined, (reason) => {
      failures.push(reason);
      if (!res.headersSent) res.writeHead(502).end();
    });
    res.on('close', () => {
      if (!res.writableFinished) exchange.clientClosed();
    });
    pool.dispatch({ method: 'GET', path: req.url ?? '/', headers: {}, body: null }, exchange);
  });
}

function fetchBody(
  port: number,
  path: string,
  slow = false,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        // A slow reader: the proxy's socket fills up, so it must pause the upstream and resume it.
        if (slow) {
          res.pause();
          setTimeout(() => res.resume(), 1);
        }
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('UpstreamExchange', () => {
  it('passes status and headers on without hop-by-hop ones, with the request id', async () => {
    const upstream = await listen((_req, res) => {
      res.writeHead(201, {
        'x-end-to-end': '1',
        'keep-alive': 'timeout=77',
        connection: 'x-hop',
        'x-hop': '1',
      });
      res.end('made');
    });
    const failures: ExchangeFailure[] = [];
    const r = await fetchBody(await proxy(upstream, failures), '/');
    expect(r.status).toBe(201);
    expect(r.body.toString()).toBe('made');
    expect(r.headers['x-end-to-end']).toBe('1');
    expect(r.headers['x-hop']).toBeUndefined();
    expect(r.headers['x-request-id']).toBe('req_test');
    expect(failures).toEqual([]);
  });

  it('streams a large body intact to a slow reader (backpressure: paused and resumed, not buffered)', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const upstream = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(body);
    });
    const r = await fetchBody(await proxy(upstream, []), '/', true);
    expect(r.body.length).toBe(body.length);
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(
      createHash('sha256').update(body).digest('hex'),
    );
  });

  it('aborts the upstream request when the caller leaves first, and says so', async () => {
    let upstreamSawClose!: () => void;
    const closedUpstream = new Promise<void>((resolve) => {
      upstreamSawClose = resolve;
    });
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // Never answers: only an abort from the proxy ends this request.
    const upstream = await listen((req) => {
      req.socket.once('close', () => upstreamSawClose());
      arrived();
    });
    const failures: ExchangeFailure[] = [];
    const port = await proxy(upstream, failures);
    const client = get({ host: '127.0.0.1', port, path: '/', agent: false });
    client.on('error', () => {});
    await reached;
    client.destroy();
    await closedUpstream;
    expect(failures).toEqual(['client-closed']);
  });

  it('reports an upstream that cannot be reached, before anything is sent', async () => {
    const dead = await listen(() => {});
    const server = servers.pop() as Server;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    const failures: ExchangeFailure[] = [];
    const r = await fetchBody(await proxy(dead, failures), '/');
    expect(r.status).toBe(502);
    expect(failures).toEqual(['upstream-unreachable']);
  });

  it('cuts the connection when the upstream body fails after the headers went out', async () => {
    const upstream = await listen((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setTimeout(() => res.destroy(), 20);
    });
    const failures: ExchangeFailure[] = [];
    await expect(fetchBody(await proxy(upstream, failures), '/')).rejects.toThrow();
    expect(failures).toEqual(['upstream-body-failed']);
  });
});
