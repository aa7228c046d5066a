import type { Server, Socket } from 'node:net';
import { configError } from '@ipgate/core';
import { createGate, type Gate, type GateOptions } from './gate.js';

/**
 * Options of {@link netGuard}: those of the gate, without the ones that need HTTP. At the TCP layer
 * there are no forwarding headers, so the client is always the socket peer, no request names a key,
 * and a denial is a closed connection rather than a response.
 *
 * @example
 * const options: NetGuardOptions = {
 *   allow: ['10.0.0.0/8'],
 *   onDecision: (e) => e.allow || console.warn('refused', e.remoteAddress, e.decision.reason),
 * };
 */
export type NetGuardOptions = Omit<GateOptions, 'clientAddress' | 'denial' | 'keys'>;

/**
 * A guard attached to a `node:net` server.
 *
 * @example
 * import { createServer } from 'node:net';
 *
 * const guard = netGuard(createServer((socket) => socket.end('hello\n')), { allow: ['10.0.0.0/8'] });
 * await guard.close(); // detach, and stop the rules source
 */
export interface NetGuard {
  readonly gate: Gate;
  /** Detaches the guard (connections are no longer checked) and closes its rules source. */
  close(): Promise<void>;
}

/**
 * Guards a `node:net` server (FTP, SMTP, a database protocol, a TLS server): a connection from a
 * disallowed address is destroyed the moment it is accepted, before a byte is read or written,
 * and the server's own `connection` listeners never see it. Works for `node:http` and `node:tls`
 * servers too, which makes it the cheapest guard when every request on a port has the same rules.
 *
 * It intercepts the server's `connection` event rather than adding a listener, because listeners
 * run in the order they were added and `net.createServer(handler)` adds the handler first: a denied
 * socket would reach it, and an SMTP or FTP server greets before it reads.
 *
 * @example
 * import { createServer } from 'node:net';
 * import { netGuard } from '@ipgate/node';
 *
 * const server = createServer((socket) => socket.end('220 mail.example.com ESMTP\r\n'));
 * netGuard(server, { allow: ['10.0.0.0/8', '127.0.0.1'] });
 * server.listen(2525);
 */
export function netGuard(server: Server, options: NetGuardOptions): NetGuard {
  const given = options as GateOptions;
  if (given.clientAddress !== undefined || given.denial !== undefined) {
    throw configError(
      given.clientAddress !== undefined ? 'clientAddress' : 'denial',
      'netGuard takes neither clientAddress nor denial.',
      'At the TCP layer there are no forwarding headers (the client is the socket peer) and a denial closes the connection. Leave these settings out.',
    );
  }
  if (given.keys !== undefined) {
    // keyOf would see no headers at all, so every key's rules would be skipped without a word.
    throw configError(
      'keys',
      'netGuard takes no keys.',
      'A TCP connection names no key. Use per-key rules with an HTTP gate (httpGate or a middleware).',
    );
  }
  const gate = createGate({ ...options, clientAddress: { mode: 'socket' } });
  const original = server.emit;
  const guarded = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection') {
      const socket = args[0] as Socket;
      if (!gate.check({ remoteAddress: socket.remoteAddress, headers: {} }).allow) {
        // resetAndDestroy sends RST: the client learns nothing, and no TIME_WAIT is left here.
        if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else socket.destroy();
        return true;
      }
    }
    return (original as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  } as Server['emit'];
  server.emit = guarded;
  return {
    gate,
    close: async () => {
      if (server.emit === guarded) server.emit = original;
      await gate.close();
    },
  };
}
