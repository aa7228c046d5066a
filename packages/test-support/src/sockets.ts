import { readFileSync } from 'node:fs';
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
 * A loopback port nothing listens on right now, for a server a test starts later on it (nginx, Caddy,
 * an SMTP receiver started after the server that sends to it) or for a closed port to connect to.
 *
 * Picked below the kernel's ephemeral range: a port from that range (what `listen(0)` picks) is
 * handed to outgoing connections too, and with the many connections a test run makes one of them
 * took the port between this pick and its use (EADDRINUSE in nginx). A port below the range is
 * taken only by someone who asks for it by number.
 *
 * @example const port = await freePort();
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralPorts();
  // Above the well-known and the commonly configured ports; the range is ~22,000 ports wide.
  const from = 10_000;
  for (let attempt = 0; low - from > 1_000 && attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (await bindable(port)) return port;
  }
  return kernelPort(); // no room below the range on this machine: the kernel's pick, as before
}

/** The kernel's range of ports for outgoing connections (Linux; the usual default elsewhere). */
export function ephemeralPorts(): readonly [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low as number, high as number];
  } catch {
    // not Linux
  }
  return [32_768, 60_999];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
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
