import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** What the echo upstream saw. */
export interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * A real upstream that answers every request with what it received (method, target, headers, body
 * length and hash). `?sleep=ms` delays the answer, for timeouts and graceful close.
 *
 * @example
 * const echo = await startEcho();
 * echo.url; // 'http://127.0.0.1:41234'
 * await echo.close();
 */
export async function startEcho(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of req) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    const sleep = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('sleep') ?? 0);
    if (sleep > 0) await delay(sleep);
    const echo: Echo = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bytes,
      sha256: hash.digest('hex'),
    };
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-upstream': 'echo',
      'keep-alive': 'timeout=77',
    });
    res.end(JSON.stringify(echo));
  });
  const url = await listen(server, '127.0.0.1');
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A URL where nothing listens: a port bound and released again.
 *
 * @example
 * const dead = await deadUrl(); // 'http://127.0.0.1:39321'
 */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server, '127.0.0.1');
  await new Promise((resolve) => server.close(resolve));
  return url;
}

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

/** A response as a test reads it. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json<T = Echo>(): T;
}

/**
 * Sends one request over a fresh connection bound to a chosen source address.
 *
 * @example
 * const r = await send(port, { path: '/v1/x', from: '127.0.0.3', headers: { authorization: `Bearer ${secret}` } });
 */
export function send(
  port: number,
  options: {
    readonly path: string;
    readonly from?: string;
    readonly to?: string;
    readonly method?: string;
    readonly headers?: Record<string, string | string[]>;
    readonly body?: Buffer | string;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.to ?? '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        localAddress: options.from ?? '127.0.0.2',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
