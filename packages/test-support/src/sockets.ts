import { request } from 'node:http';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import type { Source } from './decision-cases.js';

/** Listens on `::` (dual stack: IPv4 peers arrive IPv4-mapped) on a free port; returns the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '::', ipv6Only: false }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A loopback port nothing listens on right now: the kernel's pick, released at once. For a server a
 * test starts later on it, or for a closed port to connect to.
 *
 * @example const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Closes a server and every connection it still has. */
export async function close(server: Server): Promise<void> {
  const http = server as Server & { closeAllConnections?: () => void };
  http.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One HTTP GET from a chosen source address, over a fresh connection. */
export function send(
  port: number,
  source: Source,
  headers: Readonly<Record<string, string>> = {},
  path = '/',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: source === '::1' ? '::1' : '127.0.0.1',
        port,
        path,
        localAddress: source,
        headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens a TCP connection from a source address and reads until the server closes it: the bytes it
 * sent (a greeting) or none, and whether the connection was reset.
 */
export function probeTcp(port: number, source: Source): Promise<{ received: string; reset: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: source === '::1' ? '::1' : '127.0.0.1', port, localAddress: source });
    let received = '';
    let reset = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      reset = error.code === 'ECONNRESET';
    });
    socket.on('close', () => resolve({ received, reset }));
  });
}
